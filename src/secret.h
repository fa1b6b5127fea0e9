/* secret.h: reading a password file that only its owner may read.
 * The string returned through *out is the caller's to free() (wipe it first). */
#ifndef ILN_SECRET_H
#define ILN_SECRET_H

#include <stddef.h>

#define SECRET_MAX_SIZE 1024

/* secret_file_read: the file's contents with one trailing newline (LF or CRLF) removed.
 * Refuses a file that is not regular, is group- or world-readable, is empty, is larger
 * than SECRET_MAX_SIZE, or holds NUL, CR or LF inside. 0, or -1 with err set. */
int secret_file_read(const char *path, char **out, char *err, size_t errsz);
/* secret_file_read_cap: the same with a cap of its own (an OAuth2 refresh token may be
 * longer than a password). */
int secret_file_read_cap(const char *path, size_t cap, char **out, char *err, size_t errsz);

/* secret_free: overwrite and free a secret; NULL is fine. */
void secret_free(char *s);

#endif
