// Graceful stop on SLURM preemption (issue 6 item 6): SIGTERM and SIGUSR1 (sbatch
// --signal=USR1@90) only set an async-signal-safe flag; the training loop polls
// stop_requested() after each step, then writes a checkpoint and exits cleanly. A second
// SIGTERM/SIGINT while a stop is already pending is not special-cased: the flag just stays set.
#pragma once

namespace cromss {

// Installs the handlers for SIGTERM and SIGUSR1 (idempotent). Call once at startup.
void install_stop_signal_handlers();
// True once SIGTERM or SIGUSR1 was received (or request_stop() was called).
bool stop_requested();
// The signal number that requested the stop (0 for none or for request_stop()).
int stop_signal();
void request_stop();
void clear_stop_request();  // for tests and for a loop that handled the request

}  // namespace cromss
