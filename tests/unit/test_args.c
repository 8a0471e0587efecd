/*
 * test_args.c — every public function with NULL, invalid and out-of-range arguments: each returns
 * an error code with a message (or, for functions without a result, does nothing), never crashes.
 * Also: a port already in use, an ALPN list too long, config structs not initialised.
 */
#include "test_helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#define EXPECT_ERR(code, expr)                                                                     \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != (code)) fail_msg("%s = %d, expected %d", #expr, rc_, (code));                    \
    if (!zquic_last_error()[0]) fail_msg("%s: no error message", #expr);                         \
  } while (0)

static void test_context_and_server(void **state) {
  (void)state;
  zquic_config_init(NULL);
  zquic_server_config_init(NULL);
  zquic_connect_options_init(NULL);
  zquic_h3_handler_config_init(NULL);
  zquic_destroy(NULL);
  zquic_server_free(NULL);
  assert_non_null(strstr(zquic_version(), "ngtcp2"));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(NULL, NULL));
  zquic_config cfg;
  zquic_config_init(&cfg);
  zquic_context *ctx = NULL;
  cfg.alpn = "a,b,c,d,e,f,g,h,i"; /* nine names: over the limit */
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(&cfg, &ctx));
  cfg.alpn = "";
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(&cfg, &ctx));
  zquic_config_init(&cfg);
  cfg.cc_algorithm = 9;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(&cfg, &ctx));
  zquic_config_init(&cfg);
  cfg.struct_size = sizeof(cfg) + 8; /* from a newer header than the library */
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(&cfg, &ctx));
  zquic_config_init(&cfg);
  cfg.max_connections = 0;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_init(&cfg, &ctx));
  assert_null(ctx);

  zquic_config_init(&cfg);
  cfg.cert_file = cert_path("server-chain.pem");
  cfg.key_file = cert_path("server.key");
  ASSERT_OK(zquic_init(&cfg, &ctx));
  zquic_server *srv = NULL;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(NULL, NULL, &srv));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(ctx, NULL, NULL));
  zquic_server_config sc;
  memset(&sc, 0, sizeof(sc));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(ctx, &sc, &srv));
  zquic_server_config_init(&sc);
  sc.listen = "127.0.0.1:99999";
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(ctx, &sc, &srv));
  sc.listen = "127.0.0.1:0";
  sc.quic_versions = "3";
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(ctx, &sc, &srv));
  sc.quic_versions = NULL;
  sc.key_file = "/nonexistent/key.pem";
  EXPECT_ERR(ZQUIC_ERR_TLS, zquic_create_server(ctx, &sc, &srv));
  sc.key_file = NULL;
  zquic_h3_handler_config h3;
  zquic_h3_handler_config_init(&h3); /* on_request missing */
  sc.h3 = &h3;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_server(ctx, &sc, &srv));
  sc.h3 = NULL;
  /* a port already in use: a clear bind error */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  getsockname(fd, (struct sockaddr *)&sin, &len);
  char listen[32];
  snprintf(listen, sizeof(listen), "127.0.0.1:%d", ntohs(sin.sin_port));
  sc.listen = listen;
  EXPECT_ERR(ZQUIC_ERR_SOCKET, zquic_create_server(ctx, &sc, &srv));
  assert_non_null(strstr(zquic_last_error(), "Address already in use"));
  close(fd);
  assert_null(srv);
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_server_port(NULL));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_start_server(NULL));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_stop_server(NULL));
  zquic_connection *conn = NULL;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_server_accept(NULL, 0, &conn));
  sc.listen = "127.0.0.1:0";
  ASSERT_OK(zquic_create_server(ctx, &sc, &srv));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_server_accept(srv, 0, NULL));
  EXPECT_ERR(ZQUIC_ERR_TIMEOUT, zquic_server_accept(srv, 0, &conn));
  zquic_server_set_user_data(NULL, NULL);
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_event_fd(NULL));
  EXPECT_ERR(ZQUIC_ERR_STATE, zquic_event_fd(ctx));
  zquic_event ev[4];
  size_t n;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_poll_events(NULL, ev, 4, &n));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_poll_events(ctx, NULL, 4, &n));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_poll_events(ctx, ev, 0, &n));
  EXPECT_ERR(ZQUIC_ERR_STATE, zquic_poll_events(ctx, ev, 4, &n));
  zquic_server_free(srv);
  zquic_destroy(ctx);
}

static void test_connections_and_streams(void **state) {
  (void)state;
  zquic_connection *conn = NULL;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection_ex(NULL, "x:1", NULL, &conn));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_connect_async(NULL, "x:1", NULL, &conn));
  zquic_context *ctx = client_context();
  zquic_connect_options co;
  memset(&co, 0, sizeof(co));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection_ex(ctx, "127.0.0.1:1", &co, &conn));
  zquic_connect_options_init(&co);
  co.quic_version = 7;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection_ex(ctx, "127.0.0.1:1", &co, &conn));
  zquic_connect_options_init(&co);
  co.session_len = 10; /* NULL blob with a length */
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection_ex(ctx, "127.0.0.1:1", &co, &conn));
  zquic_connect_options_init(&co);
  co.ca_file = "/nonexistent/ca.pem";
  EXPECT_ERR(ZQUIC_ERR_TLS, zquic_create_connection_ex(ctx, "127.0.0.1:1", &co, &conn));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection(ctx, "[::1", &conn));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_connection(ctx, ":443", &conn));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_connect_async(ctx, "host:0", NULL, &conn));
  assert_null(conn);
  assert_string_equal(zquic_connection_alpn(NULL), "");
  zquic_close_connection_ex(NULL, 1, "x");
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_connection_key_update(NULL));
  zquic_connection_info info = {.struct_size = sizeof(info)};
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_get_connection_info(NULL, &info));
  size_t len;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_connection_session(NULL, NULL, 0, &len));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_set_connection_callback(NULL, NULL, NULL));
  zquic_connection_set_user_data(NULL, NULL);
  assert_null(zquic_connection_get_user_data(NULL));
  zquic_stream *s = NULL;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_create_stream(NULL, 0, &s));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_stream_accept(NULL, 0, &s));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_stream_stop_sending(NULL, 1));
  assert_int_equal(zquic_stream_reset_code(NULL), 0);
  assert_true(zquic_stream_id(NULL) < 0);
  zquic_stream_set_user_data(NULL, NULL);
  assert_null(zquic_stream_get_user_data(NULL));
  char buf[4];
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_send_data(NULL, "x", 1, 0));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_receive_data(NULL, buf, sizeof(buf), 0, &len));
  zquic_destroy(ctx);
}

static void test_h3_functions(void **state) {
  (void)state;
  zquic_h3_request *req = NULL;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT,
             zquic_h3_request_start(NULL, "GET", "/", NULL, NULL, 0, 1, &req));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_request_send(NULL, "x", 1, 1, 0));
  int status;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_response_wait(NULL, 0, &status));
  const char *name, *value;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_response_header(NULL, 0, &name, &value));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_response_trailer(NULL, 0, &name, &value));
  assert_null(zquic_h3_response_header_get(NULL, "x"));
  char buf[4];
  size_t n;
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_response_read(NULL, buf, sizeof(buf), 0, &n));
  zquic_h3_request_free(NULL);
  assert_null(zquic_h3_exchange_method(NULL));
  assert_null(zquic_h3_exchange_path(NULL));
  assert_null(zquic_h3_exchange_authority(NULL));
  assert_null(zquic_h3_exchange_header_get(NULL, "x"));
  assert_null(zquic_h3_exchange_peer(NULL));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_exchange_header(NULL, 0, &name, &value));
  zquic_h3_exchange_set_user(NULL, NULL);
  assert_null(zquic_h3_exchange_get_user(NULL));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_respond(NULL, 200, NULL, 0, NULL, NULL));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_exchange_set_trailers(NULL, NULL, 0));
  EXPECT_ERR(ZQUIC_ERR_INVALID_ARGUMENT, zquic_h3_exchange_resume(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_context_and_server),
    cmocka_unit_test(test_connections_and_streams),
    cmocka_unit_test(test_h3_functions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
