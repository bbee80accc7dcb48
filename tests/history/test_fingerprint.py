from diffbench.history.fingerprint import fingerprint, normalise_cpu

BASE = {"cpu": "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "cpu_count": 2, "hostname": "ci-1",
        "platform": "Linux-6.1.0-13-amd64-x86_64-with-glibc2.36", "blas": {"library": "openblas"}}


def test_trivial_differences_are_tolerated():
    other = {**BASE, "hostname": "ci-7", "platform": "Linux-6.1.0-18-amd64-x86_64-with-glibc2.37",
             "cpu": "Intel Xeon CPU  E5-2680 v4 @ 2.4GHz", "pid": 4}
    assert fingerprint(BASE).matches(fingerprint(other))
    assert normalise_cpu(BASE["cpu"]) == "intel xeon e5-2680 v4"


def test_real_differences_are_not():
    base = fingerprint(BASE)
    assert not base.matches(fingerprint({**BASE, "cpu_count": 8}))
    assert not base.matches(fingerprint({**BASE, "cpu": "AMD EPYC 7763 64-Core Processor"}))
    assert not base.matches(fingerprint({**BASE, "platform": "Linux-6.1.0-aarch64-with-glibc2.36"}))
    assert not base.matches(fingerprint({**BASE, "blas": {"library": "mkl"}}))
