/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* _cleanup_ helpers for json-c objects, for the library's JSON readers. */

#include <json-c/json.h>

static inline void json_object_unrefp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static inline void json_tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}
