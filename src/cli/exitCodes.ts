/**
 * The exit codes of `loopwright`: 0 ok, 1 a run failed, 2 bad input (usage,
 * config, a missing backend), 70 an internal error (a defect in loopwright,
 * BSD's EX_SOFTWARE), 130/143 stopped by SIGINT/SIGTERM.
 * @module
 */
export const EXIT_OK = 0
export const EXIT_RUN_FAILED = 1
export const EXIT_BAD_INPUT = 2
export const EXIT_INTERNAL = 70
