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

#endif
