"""
Tests for L{txtornado._reactor_on_loop.runstate}.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.runstate import Phase, RunState


class RunStateTests(SynchronousTestCase):
    """
    L{RunState}'s transitions.
    """

    def setUp(self) -> None:
        self.started: list[bool] = []
        self.state = RunState(self.started.append)

    def test_initial(self) -> None:
        """
        A new state is C{IDLE}, not in C{run()}, and fires nothing.
        """
        self.assertIs(self.state.phase, Phase.IDLE)
        self.assertFalse(self.state.inRun)
        self.state.fireStartup()
        self.assertEqual(self.started, [])

    def test_runFiresStartupOnce(self) -> None:
        """
        After C{beginRun}, the first C{fireStartup} fires startup with
        C{run()}'s C{installSignalHandlers}; later ones do nothing;
        C{endRun} goes back to C{IDLE}.
        """
        self.state.beginRun(True)
        self.assertIs(self.state.phase, Phase.STARTING)
        self.assertTrue(self.state.inRun)
        self.state.fireStartup()
        self.state.fireStartup()
        self.assertEqual(self.started, [True])
        self.assertIs(self.state.phase, Phase.RUNNING)
        self.assertTrue(self.state.inRun)
        self.state.endRun()
        self.assertIs(self.state.phase, Phase.IDLE)
        self.assertFalse(self.state.inRun)

    def test_startupSeesRunning(self) -> None:
        """
        The state is C{RUNNING} while startup fires, so that a reactor entry
        point reached from a startup trigger does not fire it again.
        """
        phases: list[Phase] = []

        def startRunning(installSignalHandlers: bool) -> None:
            phases.append(state.phase)
            state.fireStartup()

        state = RunState(startRunning)
        state.beginRun(False)
        state.fireStartup()
        self.assertEqual(phases, [Phase.RUNNING])

    def test_hosted(self) -> None:
        """
        C{host} makes an idle state C{HOSTED}; C{resumeHosted} carries on
        in C{run()} without firing startup.
        """
        self.state.host()
        self.assertIs(self.state.phase, Phase.HOSTED)
        self.assertFalse(self.state.inRun)
        self.state.resumeHosted()
        self.assertIs(self.state.phase, Phase.RUNNING)
        self.state.fireStartup()
        self.assertEqual(self.started, [])
        self.state.endRun()
        self.assertIs(self.state.phase, Phase.IDLE)

    def test_iterateRestores(self) -> None:
        """
        C{beginIterate} is C{ITERATING} from any phase and C{endIterate}
        puts back the phase before it.
        """
        for prepare, phase in [
            (lambda: None, Phase.IDLE),
            (self.state.host, Phase.HOSTED),
        ]:
            prepare()
            previous = self.state.beginIterate()
            self.assertIs(self.state.phase, Phase.ITERATING)
            self.assertIs(previous, phase)
            self.state.endIterate(previous)
            self.assertIs(self.state.phase, phase)

    def test_refusedTransitions(self) -> None:
        """
        A transition the current phase has none of raises C{AssertionError}.
        """
        self.assertRaises(AssertionError, self.state.endRun)
        self.assertRaises(AssertionError, self.state.resumeHosted)
        self.state.beginRun(False)
        self.assertRaises(AssertionError, self.state.beginRun, False)
        self.assertRaises(AssertionError, self.state.host)
        self.assertIs(self.state.phase, Phase.STARTING)
