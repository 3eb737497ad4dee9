"""Keep PyTorch from loading Triton inside QGIS.

CUDA builds of PyTorch ship Triton, a compiler for ``torch.compile``, which this plugin
never uses. Importing torchvision (through segmentation-models-pytorch) pulls it in, and
its bundled LLVM runs static initialisers that crash a QGIS desktop where Mesa's own LLVM
is already loaded (software OpenGL, AMD GPUs): QGIS dies with a segmentation fault
(seen under Xvfb). PyTorch works without Triton, as on its CPU builds, so inside QGIS we
make ``import triton`` fail cleanly before torch is first imported.
"""

import sys


def block_triton() -> bool:
    """Make ``import triton`` raise ImportError; False when it is already loaded."""
    if "triton" in sys.modules:
        return sys.modules["triton"] is None
    sys.modules["triton"] = None  # the documented way to make an import fail
    return True
