/* outbound.h: where ilnbot's mail goes. One interface, several transports
 * (outbound_maildir.c, outbound_smtp.c); outbound.c picks one by name from its table of
 * backends: the configuration's [outbound] transport value is an ops->name.
 * The caller keeps ownership of every argument. */
#ifndef ILN_OUTBOUND_H
#define ILN_OUTBOUND_H

#include <stddef.h>

struct conf;

enum outbound_result {
	OUTBOUND_SENT = 0,
	OUTBOUND_TRANSIENT = 1,     /* 4xx, network, timeout: retry later with backoff */
	OUTBOUND_PERMANENT = 2,     /* 5xx or an invalid address: record, never retry */
};

/* One message for send_many; nothing in it is kept after the call. */
struct outbound_msg {
	const char *envelope_from;      /* "" for the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *raw;                /* complete, CRLF line endings */
	size_t len;
};

struct outbound_ops {
	const char *name;       /* the transport value that picks it */
	void *(*open)(const struct conf *c, char *err, size_t errsz);
	/* send one complete CRLF message to rcpts; envelope_from may be "" (null sender) */
	enum outbound_result (*send)(void *h, const char *envelope_from, const char *const *rcpts,
				     size_t nrcpts, const char *msg, size_t len, char *err, size_t errsz);
	/* sync: when set, send() may return before its effect is on disk, and sync() makes
	 * every send so far durable (0 or -1); when NULL, each send is durable on return
	 * (SMTP: the relay's 250). Either way the outbox records a batch of results in one
	 * transaction, after sync(). */
	int (*sync)(void *h, char *err, size_t errsz);
	/* send_many (may be NULL): msgs in order over one session, each message's end
	 * pipelined with the next one's envelope where the server allows. done() hears
	 * each result in order as soon as it is known, before the next message's data is
	 * sent, and returns 0 to go on or -1 to stop. Returns how many results it gave. */
	size_t (*send_many)(void *h, const struct outbound_msg *msgs, size_t n,
			    int (*done)(void *arg, size_t i, enum outbound_result r, const char *err),
			    void *arg);
	/* smtputf8 (may be NULL: never): whether a UTF-8 address (RFC 6531) can be sent, 1
	 * or 0, or -1 with err when that cannot be known now (the relay unreachable). */
	int (*smtputf8)(void *h, char *err, size_t errsz);
	void (*close)(void *h);
};

struct outbound {
	const struct outbound_ops *ops;
	void *h;
	char relay[300];        /* for the log: "host:port", or the transport's name */
};

int outbound_open(struct outbound *out, const struct conf *c, char *err, size_t errsz);
void outbound_close(struct outbound *out);

extern const struct outbound_ops outbound_maildir_ops;
extern const struct outbound_ops outbound_smtp_ops;

#endif
