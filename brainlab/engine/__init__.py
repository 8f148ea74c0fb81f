"""brainlab's JAX engine: mutable arrays, States, object-oriented transforms, random numbers, integrators.

Import it as ``import brainlab.engine as be``.
"""

from ._array import Array
from ._jit import JittedFunction, jit
from ._module import Module, stack_modules, unstack_module
from ._numpy import *  # noqa: F403 - the numpy-like namespace
from ._numpy import NAMES as _NUMPY_NAMES
from ._state import HiddenState, ParamState, RandomKeyState, State, StateError, TracerLeakError
from ._autodiff import GradFunction, grad, value_and_grad
from ._control import cond, for_loop, scan, while_loop
from ._vmap import VmappedFunction, vmap
from ._precision import default_float, precision
from . import random
from ._integrators import ODE_METHODS, SDE_METHODS, AdaptiveSolution, odeint, sdeint, solve_adaptive
from ._event import (
    csr_matvec,
    delay_push,
    delayed,
    event_csr_matvec,
    event_fixedprob_onthefly,
    fixedprob_onthefly_csr,
    numba_status,
)
