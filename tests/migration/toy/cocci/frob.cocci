/// frob() lost its cookie: a NULL one is dropped.
// Options: --include-headers --no-includes
virtual patch

@depends on patch@
expression A, B;
@@
  frob(A, B
- , NULL
  )

// A cookie passed by address: frob_ref() takes the object itself.
@depends on patch@
expression A, B, E;
@@
- frob(A, B, &E)
+ frob_ref(A, B, E)
