/* util.h: allocation that never returns NULL, a growing string buffer with a hard cap,
 * UTF-8 validation and the one text cleaner, small string helpers, time, random tokens,
 * and threads that take no signals.
 * Every char * returned by x*() or buf_steal() is the caller's to free(). */
#ifndef ILN_UTIL_H
#define ILN_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The number of elements of an array (not a pointer). */
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
/* A macro's value as a string literal: STR(PROFILE_YEARS_MAX) is "70". */
#define STR_(x) #x
#define STR(x) STR_(x)

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing byte buffer, always NUL-terminated, that refuses to grow past cap. */
struct buf {
	char *data;
	size_t len;
	size_t size;
	size_t cap;     /* hard limit on len; 0 = 64 MiB */
	bool overflow;  /* set when an append was refused */
};

void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Appends return 0, or -1 (and set overflow) when cap would be passed. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_steal: hand the string to the caller (to free()) and leave b empty. */
char *buf_steal(struct buf *b);

bool utf8_valid(const char *s, size_t n);
/* utf8_next: the code point of the character at s (which must be valid UTF-8) and its
 * length in bytes. */
size_t utf8_next(const char *s, uint32_t *cp);
/* utf8_sanitize: copy of s with invalid sequences replaced by U+FFFD; caller frees. */
char *utf8_sanitize(const char *s, size_t n);
/* utf8_clean_line: s[0..n) as one line of clean text, the one rule for every text a
 * person wrote that ilnbot reads or shows: valid UTF-8 (each byte of an invalid
 * sequence becomes U+FFFD); C0 and C1 controls, NEL, U+2028 and U+2029, no-break space
 * and U+3000 become a space; zero-width and bidi format characters (U+200B, U+200E,
 * U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF) are dropped, but ZWNJ U+200C and ZWJ
 * U+200D kept; space runs become one space; trimmed; cut to at most max_bytes on a
 * character boundary. Caller frees. */
char *utf8_clean_line(const char *s, size_t n, size_t max_bytes);
/* utf8_has_hidden: s[0..n) holds what utf8_clean_line() would fold or drop other than
 * a space (plain, no-break or ideographic): a control, a line or paragraph separator,
 * a format character, or an invalid sequence. For fields that refuse rather than clean. */
bool utf8_has_hidden(const char *s, size_t n);

/* utf8_encode: code point c as UTF-8 into out (room for 4 bytes); its length. */
size_t utf8_encode(uint32_t c, char *out);
/* utf8_is_space: white space or a control (C0, C1, no-break, the U+2000 spaces...). */
bool utf8_is_space(uint32_t c);
/* utf8_fold_case: the simple case fold of c (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic), typographic apostrophes as '. utf8_fold_accent: the base letter of a Latin
 * letter with diacritics (U+00C0 to U+017F, already case folded), else c; a combining
 * mark (U+0300 to U+036F) gives 0 (dropped). */
uint32_t utf8_fold_case(uint32_t c);
uint32_t utf8_fold_accent(uint32_t c);
/* utf8_fold: s[0..n) as a comparison key, into out (outsz bytes): case folded, accents
 * dropped ("INSCRIPCIÓN" and "inscripcion" alike), ß as "ss" ("Straße" = "Strasse"),
 * white space runs as one space, trimmed. false when s is not UTF-8 or the key does not
 * fit. utf8_fold_as: the same, keeping accents (and ß) unless strip_accents. */
bool utf8_fold(const char *s, size_t n, char *out, size_t outsz);
bool utf8_fold_as(const char *s, size_t n, bool strip_accents, char *out, size_t outsz);

char *str_trim(char *s);                 /* in place; returns s advanced past spaces */
/* strv_join_set: v[0..n) sorted, each distinct string once, joined with ' ' ("" for none),
 * as a new string the caller frees; every v[i] is freed (v itself is not). */
char *strv_join_set(char **v, size_t n);
void str_lower(char *s);                 /* ASCII only */
bool str_has_prefix_ci(const char *s, const char *prefix);

/* Time: seconds since the epoch, UTC. time_parse accepts ISO 8601 "YYYY-MM-DD",
 * "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]" and "@SECONDS"; only real calendar dates (2026-02-29
 * is refused). Returns 0 or -1. */
int time_parse(const char *s, int64_t *out);
/* time_month_days: days in month (1-12) of year, leap years counted; 0 for a bad month. */
int time_month_days(int year, int month);
/* time_format_iso: "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void time_format_iso(int64_t t, char *out, size_t outsz);
/* time_format_rfc5322: "Fri, 27 Nov 2026 11:23:38 +0000" into out (at least 40 bytes). */
void time_format_rfc5322(int64_t t, char *out, size_t outsz);
/* time_format_date: "YYYY-MM-DD". */
void time_format_date(int64_t t, char *out, size_t outsz);

/* random_token: nbytes from the system CSPRNG as lowercase hex into a new string. */
char *random_token(size_t nbytes);

/* file_read: whole file into a new NUL-terminated buffer, refusing more than cap bytes.
 * Returns 0, -1 on error (errno set), -2 when larger than cap. */
int file_read(const char *path, size_t cap, char **out, size_t *outlen);
/* fd_read: the same from an open descriptor (left open), read to its end. */
int fd_read(int fd, size_t cap, char **out, size_t *outlen);

/* thread_start: pthread_create with every signal blocked in the new thread, so that
 * signals reach the caller's thread. 0 or an errno value. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
