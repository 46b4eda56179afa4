/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Intrusive doubly-linked lists: the Manager keeps its containers and
 * pending connections in them, so that freeing one object is O(1) even with
 * thousands of supervised processes.
 */

#define LIST_FIELDS(t, name) t *name##_next, *name##_prev

#define LIST_PREPEND(name, head, item) \
        do { \
                __typeof__(*(head)) **_head_ = &(head), *_item_ = (item); \
                _item_->name##_prev = NULL; \
                _item_->name##_next = *_head_; \
                if (*_head_) \
                        (*_head_)->name##_prev = _item_; \
                *_head_ = _item_; \
        } while (0)

#define LIST_REMOVE(name, head, item) \
        do { \
                __typeof__(*(head)) **_head_ = &(head), *_item_ = (item); \
                if (_item_->name##_next) \
                        _item_->name##_next->name##_prev = _item_->name##_prev; \
                if (_item_->name##_prev) \
                        _item_->name##_prev->name##_next = _item_->name##_next; \
                else \
                        *_head_ = _item_->name##_next; \
                _item_->name##_next = _item_->name##_prev = NULL; \
        } while (0)

#define LIST_FOREACH(name, i, head) for (__typeof__(head) i = (head); i; i = i->name##_next)

/* Safe against freeing i inside the loop. */
#define LIST_FOREACH_SAFE(name, i, n, head) \
        for (__typeof__(head) i = (head), n = i ? i->name##_next : NULL; i; \
             i = n, n = i ? i->name##_next : NULL)
