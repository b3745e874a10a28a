/// frob() lost its cookie: a NULL one is dropped.
// Options: --include-headers --no-includes
virtual patch

@depends on patch@
expression A, B;
@@
  frob(A, B
- , NULL
  )
