/* Answering a recovery's request for one file of an archive: which file
 * serves it, whether its absence is the end of the WAL (recovery may end
 * there) or a hole (recovery must stop), and which other segment vouches
 * for the database system and segment size. */
#ifndef WALPULL_WALFIND_H
#define WALPULL_WALFIND_H

#include "walpull/walfiles.h"

typedef struct wp_walfind {
    wp_walfile file;      /* the file to serve */
    bool have_reference;  /* reference is set */
    wp_walfile reference; /* another complete segment of the archive */
} wp_walfind;

/* For a segment name: 0 with *ret_find to serve; 1 when the archive does
 * not have it and nothing says it should (the end of the WAL); WP_E_STATE
 * when serving or not serving would end recovery early:
 *  - it is missing, but later segments of its timeline are there (and the
 *    timeline had begun by it), a later timeline's history says its
 *    timeline went on past it, or the archiver's state says it made WAL in
 *    it durable;
 *  - only a partial form is there, but later segments of its timeline are;
 *  - both partial forms are there (which holds the newer WAL is unknown).
 * For a history file name: 0 or 1. */
int wp_walfind_lookup(const char *dir, const wp_walfiles *w, const wp_walname *want,
                      wp_walfind *ret_find, wp_error *err);

#endif
