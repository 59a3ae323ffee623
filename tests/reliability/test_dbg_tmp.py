from tests.reliability.test_soak import *  # noqa
from reliability.soak import table

def test_dbg(soaked):
    print(table(soaked, CONFIG)); print(soaked.baseline_outcomes, soaked.first_sweep_outcomes, soaked.rounds)
