/* maildir.h: the Maildir conventions shared by the inbound and outbound Maildir
 * transports: the tmp/new/cur layout and delivery by write to tmp/, fsync, rename. */
#ifndef ILN_MAILDIR_H
#define ILN_MAILDIR_H

#include <stddef.h>

/* maildir_make: create dir and its tmp/, new/ and cur/ when missing. 0 or -1 (errno). */
int maildir_make(const char *dir);
/* maildir_deliver: write data as a new message of dir (tmp/, fsync, rename into new/).
 * name NULL makes a unique name and fsyncs new/ too; a given name makes delivery
 * idempotent (nothing is written when new/name or cur/name exists) and leaves the
 * fsync of new/ to maildir_sync(). 0 or -1 (errno). */
int maildir_deliver(const char *dir, const char *name, const char *data, size_t len);
/* maildir_sync: fsync dir/new, making every rename into it durable. */
int maildir_sync(const char *dir);

/* maildir_read: the message file at path, read only when it is a regular file: it is
 * looked at with lstat first, then opened without following a link and without blocking
 * (O_NOFOLLOW | O_NONBLOCK) and checked again with fstat, so a directory, FIFO, socket,
 * device or symbolic link is never read (nor a FIFO waited on). Returns 0 (*out the
 * caller's, NUL-terminated), -1 on error (errno; ENOENT when it went away), -2 larger
 * than cap, -3 not a regular file. */
int maildir_read(const char *path, size_t cap, char **out, size_t *outlen);
/* maildir_unlink_cur: remove the message named name (as it was in new/) from dir/cur/
 * (with its ":2,..." flags whatever they are). Returns the number removed, or -1. */
int maildir_unlink_cur(const char *dir, const char *name);

#endif
