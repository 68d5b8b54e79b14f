import pytest

from kernel import Kernel


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("kernels"))
    assert k.run("%load_ext nbdl").status == "ok"
    yield k
    k.close()
