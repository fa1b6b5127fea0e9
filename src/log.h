/* log.h: leveled logging to stderr. Messages are printf-formatted; nothing to free. */
#ifndef ILN_LOG_H
#define ILN_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#include <stdbool.h>

void log_set_level(enum log_level level);
/* log_to_journal: stderr is systemd's journal stream (lines carry "<N>" priorities). */
bool log_to_journal(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatalx: log and exit(1); only for start-up failures and impossible states. */
void fatalx(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
