/* maildir.h: the Maildir conventions shared by the inbound and outbound Maildir
 * transports: the tmp/new/cur layout and delivery by write to tmp/, fsync, rename. */
#ifndef ILN_MAILDIR_H
#define ILN_MAILDIR_H

#include <stddef.h>

/* maildir_make: create dir and its tmp/, new/ and cur/ when missing. 0 or -1 (errno). */
int maildir_make(const char *dir);
/* maildir_deliver: write data as a new message of dir (tmp/ then rename into new/,
 * both fsynced). 0 or -1 (errno). */
int maildir_deliver(const char *dir, const char *data, size_t len);

#endif
