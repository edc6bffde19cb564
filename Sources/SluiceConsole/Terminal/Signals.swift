import Foundation
import Synchronization

/// Signals that end the console (SIGTERM, SIGHUP from a dropped SSH link, SIGINT), recorded
/// for the UI loop, and a last-resort terminal restore when the process crashes.
enum ConsoleSignals {
    static let received = Atomic<Int32>(0)

    static let exitSignals = [SIGTERM, SIGHUP, SIGINT, SIGQUIT]

    static func installExitHandlers() {
        for signo in exitSignals {
            signal(signo) { ConsoleSignals.received.store($0, ordering: .relaxed) }
        }
    }

    /// Gives the signals back, so the rest of the process (the demo's shutdown) sees them.
    static func removeExitHandlers() {
        for signo in exitSignals { signal(signo, SIG_DFL) }
    }

    /// Blocks SIGWINCH in the calling thread and every thread it creates afterwards, so the
    /// resize signal reaches the console's thread, which unblocks it for itself.
    static func blockResizeSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGWINCH)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func unblockResizeSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Saves the terminal's modes before ncurses changes them, and on a crash (a trap in a
    /// screen, an abort) puts them back and leaves the alternate screen, using only
    /// async-signal-safe calls, then lets the signal take its default course.
    static func installCrashRestore() {
        guard tcgetattr(STDIN_FILENO, &CrashRestore.saved) == 0 else { return }
        CrashRestore.armed.store(true, ordering: .relaxed)
        for signo in [SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE] {
            signal(signo) { signo in
                if CrashRestore.armed.load(ordering: .relaxed) {
                    _ = tcsetattr(STDIN_FILENO, TCSANOW, &CrashRestore.saved)
                    let reset: StaticString = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1l\u{1B}>\u{1B}[?1049l\r\n"
                    _ = write(STDOUT_FILENO, reset.utf8Start, reset.utf8CodeUnitCount)
                }
                signal(signo, SIG_DFL)
                raise(signo)
            }
        }
    }

    static func disarmCrashRestore() {
        CrashRestore.armed.store(false, ordering: .relaxed)
    }
}

enum CrashRestore {
    static let armed = Atomic<Bool>(false)
    /// Written once before the handlers are armed and only read by them afterwards.
    nonisolated(unsafe) static var saved = termios()
}
