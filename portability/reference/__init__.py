"""Float64 NumPy references for ops NumPy has no single call for (``portability.reference.NAME``).

One module per family; each function is short, pure, explicit about its arguments, and works in
the canonical (PyTorch) layout. Where NumPy has the op, the catalog calls NumPy directly instead.
"""

from portability.reference.activations import *  # noqa: F401,F403
from portability.reference.core import *  # noqa: F401,F403
from portability.reference.detection import *  # noqa: F401,F403
from portability.reference.elementwise import *  # noqa: F401,F403
from portability.reference.init import *  # noqa: F401,F403
from portability.reference.layers import *  # noqa: F401,F403
from portability.reference.losses import *  # noqa: F401,F403
from portability.reference.nan_index import *  # noqa: F401,F403
from portability.reference.nn import *  # noqa: F401,F403
from portability.reference.other_apis import *  # noqa: F401,F403
from portability.reference.random import *  # noqa: F401,F403
from portability.reference.sampling import *  # noqa: F401,F403
from portability.reference.special import *  # noqa: F401,F403
