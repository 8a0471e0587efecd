/*
 * test_reset.c — Stateless Reset (RFC 9000 10.3) end to end: a server that loses a connection's
 * state (torn down without a goodbye, as after a crash of that connection's state) answers the
 * client's next packet with a Stateless Reset, and the client ends the connection at once with
 * a clear reason instead of waiting out its 30 s idle timeout. Links the static library to reach
 * the internal teardown.
 */
#include "test_helpers.h"

#include <time.h>

#include "internal.h"

static int forget(void *arg) {
  zq_conn_teardown(arg); /* no CONNECTION_CLOSE: the client is not told */
  return 0;
}

static void test_stateless_reset(void **state) {
  (void)state;
  zquic_config cfg;
  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  cfg.alpn = "zq-test";
  zquic_context *sctx = NULL, *cctx = NULL;
  ASSERT_OK(zquic_init(&cfg, &sctx));
  zquic_server_config sc;
  zquic_server_config_init(&sc);
  sc.listen = "127.0.0.1:0";
  zquic_server *srv;
  ASSERT_OK(zquic_create_server(sctx, &sc, &srv));
  char addr[64];
  snprintf(addr, sizeof(addr), "localhost:%d", zquic_server_port(srv));
  zquic_config_init(&cfg);
  cfg.ca_file = cert_path("ca.pem");
  cfg.alpn = "zq-test";
  ASSERT_OK(zquic_init(&cfg, &cctx));
  zquic_connection *client, *accepted;
  ASSERT_OK(zquic_create_connection(cctx, addr, &client));
  ASSERT_OK(zquic_server_accept(srv, 5000, &accepted));
  /* Let the handshake settle (HANDSHAKE_DONE, NEW_CONNECTION_ID with reset tokens). */
  ASSERT_OK(zquic_send_data(client, "x", 1, 1000));
  char buf[4];
  size_t n;
  ASSERT_OK(zquic_receive_data(accepted, buf, sizeof(buf), 5000, &n));
  pthread_mutex_lock(&sctx->lock);
  zq_ctx_call(sctx, forget, accepted);
  pthread_mutex_unlock(&sctx->lock);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = zquic_send_data(client, "y", 1, 1000); /* reaches a server that forgot us */
  if (rc == ZQUIC_OK) rc = zquic_receive_data(client, buf, sizeof(buf), 10000, &n);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_int_equal(rc, ZQUIC_ERR_PEER_CLOSED);
  assert_non_null(strstr(zquic_last_error(), "stateless reset"));
  double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(seconds < 5.0); /* long before the idle timeout */
  zquic_close_connection(client);
  zquic_close_connection(accepted);
  zquic_destroy(cctx);
  zquic_server_free(srv);
  zquic_destroy(sctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_stateless_reset)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
