/**
 * The one log-line format of a run, MMEngine's MMLogger layout with loopwright's name:
 * `2026-12-03 04:50:00 - loopwright - INFO - message`. The console, the log file and the CLI all use it.
 * @module
 */
import type { LogLevel } from '../dsl/Services.js'

/** One log line (with its newline) at the given time, in UTC. */
export const logLine = (level: LogLevel, message: string, at: Date): string =>
  `${at.toISOString().replace('T', ' ').slice(0, 19)} - loopwright - ${level} - ${message}\n`

/** Warnings and errors go to stderr, the rest to stdout, as MMEngine's logger does. */
export const consoleStream = (level: LogLevel): NodeJS.WriteStream =>
  level === 'ERROR' || level === 'WARNING' ? process.stderr : process.stdout
