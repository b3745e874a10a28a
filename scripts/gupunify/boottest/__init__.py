"""Step four: a kernel built before and after the series, booted in QEMU per GUP family,
with gup_test run in the guest (make boottest)."""
