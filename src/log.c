/* log.c: leveled logging to stderr ("ilnbot: level: message"), for journald or a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	min_level = level;
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "debug", "info", "warning", "error" };

	char line[4096];
	int n, m;

	if (level < min_level)
		return;
	/* One write per line: stderr is unbuffered, and journald or a pipe then sees whole
	 * lines even from several processes. */
	n = snprintf(line, sizeof(line), "ilnbot: %s: ", names[level]);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = (int)sizeof(line) - 2 - n;
	line[n + m] = '\n';
	fflush(stderr);
	if (write(STDERR_FILENO, line, (size_t)(n + m + 1)) < 0)
		return;
}

#define LOG_FN(name, level)                     \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		log_emit(level, fmt, ap);       \
		va_end(ap);                     \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warnx, LOG_LEVEL_WARN)
LOG_FN(log_errorx, LOG_LEVEL_ERROR)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
