package de.geolead.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of a real server (e.g. GreenMail's SMTP port) that counts the connections it accepts
 * and can cut them, as a server does when it closes an idle connection. Bytes pass through unchanged.
 */
public final class TcpProxy implements AutoCloseable {

    private volatile int target;
    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Link> open = ConcurrentHashMap.newKeySet();

    /** A proxy on a free loopback port forwarding to {@code 127.0.0.1:targetPort}. */
    public TcpProxy(int targetPort) {
        this.target = targetPort;
        try {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::accept, "tcp-proxy-" + socket.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** From now on new connections go to {@code 127.0.0.1:targetPort} (open ones stay where they are). */
    public void target(int targetPort) {
        this.target = targetPort;
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open right now (neither side closed). */
    public int open() {
        return open.size();
    }

    /**
     * Closes every open connection on both sides, after sending {@code reply} (e.g. {@code 421 4.4.2 idle timeout}) to
     * the client if not null: what a server does to an idle connection.
     */
    public void cutAll(String reply) {
        for (Link link : open) {
            if (reply != null) {
                try {
                    link.client.getOutputStream().write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    link.client.getOutputStream().flush();
                } catch (IOException ignored) {
                    // closed already
                }
            }
            link.close();
        }
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                accepted.incrementAndGet();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                Link link = new Link(client, server);
                open.add(link);
                link.start();
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(Link::close);
    }

    /** One proxied connection: two pumps, closed together as soon as either side ends. */
    private final class Link {
        final Socket client;
        final Socket server;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void start() {
            pump(client, server, "up");
            pump(server, client, "down");
        }

        private void pump(Socket from, Socket to, String direction) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException ignored) {
                    // one side closed
                } finally {
                    close();
                }
            }, "tcp-proxy-" + direction + "-" + from.getPort());
            thread.setDaemon(true);
            thread.start();
        }

        void close() {
            open.remove(this);
            try {
                client.close();
            } catch (IOException ignored) {
                // closed already
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // closed already
            }
        }
    }
}
