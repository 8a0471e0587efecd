/*
 * list.h — an intrusive doubly linked list, the one container the core uses for streams,
 * connections and queues. Nodes live inside the objects, so linking never allocates and an object
 * can unlink itself in O(1) when it dies.
 */
#ifndef ZQ_LIST_H
#define ZQ_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct zq_list_node {
  struct zq_list_node *prev, *next;
} zq_list_node;

typedef struct zq_list {
  zq_list_node head; /* sentinel */
  size_t size;
} zq_list;

#define zq_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void zq_list_init(zq_list *l) {
  l->head.prev = l->head.next = &l->head;
  l->size = 0;
}
static inline bool zq_list_node_linked(const zq_list_node *n) { return n->next != NULL; }
static inline bool zq_list_empty(const zq_list *l) { return l->head.next == &l->head; }
static inline void zq_list_push_back(zq_list *l, zq_list_node *n) {
  n->prev = l->head.prev;
  n->next = &l->head;
  l->head.prev->next = n;
  l->head.prev = n;
  l->size++;
}
static inline void zq_list_push_front(zq_list *l, zq_list_node *n) {
  n->next = l->head.next;
  n->prev = &l->head;
  l->head.next->prev = n;
  l->head.next = n;
  l->size++;
}
static inline void zq_list_remove(zq_list *l, zq_list_node *n) {
  if (!n->next) return;
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = NULL;
  l->size--;
}
static inline zq_list_node *zq_list_front(const zq_list *l) {
  return zq_list_empty(l) ? NULL : l->head.next;
}
static inline zq_list_node *zq_list_pop_front(zq_list *l) {
  zq_list_node *n = zq_list_front(l);
  if (n) zq_list_remove(l, n);
  return n;
}
/* Iterate allowing removal of the current node. */
#define zq_list_for_each_safe(node, tmp, list)                                                     \
  for ((node) = (list)->head.next, (tmp) = (node)->next; (node) != &(list)->head;                  \
       (node) = (tmp), (tmp) = (node)->next)

#endif
