#include "walpull/bbmsg.h"

#include "walpull/error.h"
#include "walpull/msg.h"

#include <string.h>

int wp_bbmsg_decode(const uint8_t *buf, size_t len, wp_bbmsg *ret_msg)
{
    if (len < 1)
        return WP_E_PROTO;
    wp_bbmsg m = {0};
    switch (buf[0]) {
    case 'n': {
        const char *name = (const char *)buf + 1;
        const char *end = memchr(name, '\0', len - 1);
        if (!end)
            return WP_E_PROTO;
        const char *path = end + 1;
        size_t rest = len - (size_t)(path - (const char *)buf);
        if (rest == 0 || !memchr(path, '\0', rest))
            return WP_E_PROTO;
        m = (wp_bbmsg){.kind = WP_BBMSG_ARCHIVE, .name = name, .path = path};
        break;
    }
    case 'd':
        m = (wp_bbmsg){.kind = WP_BBMSG_DATA, .data = buf + 1, .len = len - 1};
        break;
    case 'p':
        if (len != 9)
            return WP_E_PROTO;
        m = (wp_bbmsg){.kind = WP_BBMSG_PROGRESS, .progress = wp_get_u64(buf + 1)};
        break;
    case 'm':
        m = (wp_bbmsg){.kind = WP_BBMSG_MANIFEST};
        break;
    default:
        return WP_E_PROTO;
    }
    *ret_msg = m;
    return 0;
}

void wp_bbseq_init(wp_bbseq *q, const char *const *paths, size_t n_ts)
{
    memset(q, 0, sizeof(*q));
    q->paths = paths;
    q->n_ts = n_ts < WP_BBSEQ_MAX ? n_ts : WP_BBSEQ_MAX;
}

static int refuse(const char **ret_why, const char *why)
{
    *ret_why = why;
    return WP_E_PROTO;
}

int wp_bbseq_step(wp_bbseq *q, const wp_bbmsg *m, size_t *ret_index, const char **ret_why)
{
    switch (m->kind) {
    case WP_BBMSG_ARCHIVE: {
        if (q->manifest)
            return refuse(ret_why, "an archive began after the manifest");
        size_t i = 0;
        while (i < q->n_ts && strcmp(q->paths[i], m->path) != 0)
            i++;
        if (i == q->n_ts)
            return refuse(ret_why, "an archive names a tablespace that was not listed");
        if (q->seen[i])
            return refuse(ret_why, "a tablespace came twice");
        q->seen[i] = true;
        q->archives++;
        q->open = true;
        *ret_index = i;
        return 0;
    }
    case WP_BBMSG_DATA:
        return q->open ? 0 : refuse(ret_why, "data came before any archive began");
    case WP_BBMSG_PROGRESS:
        return 0;
    case WP_BBMSG_MANIFEST:
        if (q->manifest)
            return refuse(ret_why, "a second manifest came");
        q->manifest = true;
        q->open = true;
        return 0;
    }
    return refuse(ret_why, "unknown message");
}

int wp_bbseq_end(const wp_bbseq *q, const char **ret_why)
{
    if (q->archives < q->n_ts)
        return refuse(ret_why, "the backup ended before every listed tablespace came");
    return 0;
}
