package de.geolead.dialfire;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** An HTTP server on 127.0.0.1 that records what it receives and answers with {@link #handler}. */
final class FakeServer implements AutoCloseable {

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    /** One received request; header names lower-case. */
    record Request(String method, String path, Map<String, List<String>> headers, long nanoTime, boolean[] chunked) {
        String header(String name) {
            List<String> values = headers.get(name);
            return values == null ? null : values.get(0);
        }

        boolean responseChunked() {
            return chunked[0];
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile Handler handler = exchange -> send(exchange, 404, "Not Found".getBytes(StandardCharsets.UTF_8));
    private final HttpServer server;

    FakeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Map<String, List<String>> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
            String query = exchange.getRequestURI().getRawQuery();
            Request request = new Request(exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query),
                    headers, System.nanoTime(), new boolean[1]);
            requests.add(request);
            try {
                exchange.setAttribute("request", request);
                handler.handle(exchange);
            } catch (IOException ignored) {
                // the client stopped reading
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/pdf");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Without Content-Length: chunked transfer encoding, in small pieces. */
    static void sendChunked(HttpExchange exchange, byte[] body) throws IOException {
        ((Request) exchange.getAttribute("request")).chunked()[0] = true;
        exchange.getResponseHeaders().set("Content-Type", "application/pdf");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (int offset = 0; offset < body.length; offset += 4096) {
                out.write(body, offset, Math.min(4096, body.length - offset));
                out.flush();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
