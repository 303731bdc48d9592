package de.geolead.dialfire;

import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.EofSensorInputStream;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;

/**
 * Bounds every answer the http components read (set on them in {@code GeoleadConfiguration}): at most
 * {@link DialfireApi#API_MAX_BYTES} from the Dialfire API's contacts calls, at most {@code GEOLEAD_IMPORT_PDF_MAX_BYTES}
 * from anything else (lead sheets), and the whole answer, body included, within the timeout: a host that sends its
 * headers and then stalls or drips is cut off ({@link DeadlineExceededException}) at the latest one socket timeout
 * after the deadline. An answer beyond its cap fails with {@link TooLargeException} without being read further.
 * Both close the connection instead of draining it.
 */
public final class ResponseGuard implements ExecChainHandler {

    /** Its name in the client's exec chain: first, so that it wraps the answer the connection handling made. */
    public static final String NAME = "geolead-response-guard";

    /** An answer larger than its cap. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(long cap) {
            super("answer larger than " + cap + " bytes");
        }
    }

    /** No complete answer within the timeout (the body stalled or dripped). */
    public static final class DeadlineExceededException extends SocketTimeoutException {
        public DeadlineExceededException(Duration timeout) {
            super("no complete answer within " + timeout);
        }
    }

    private final String apiAuthority;
    private final String apiContactsPath;
    private final long pdfMaxBytes;
    private final Duration timeout;

    public ResponseGuard(URI dialfireBase, String campaignPath, long pdfMaxBytes, Duration timeout) {
        this.apiAuthority = TokenGuard.authority(dialfireBase.getScheme(), dialfireBase.getHost(), dialfireBase.getPort());
        this.apiContactsPath = campaignPath + "/contacts/";
        this.pdfMaxBytes = pdfMaxBytes;
        this.timeout = timeout;
    }

    /** The cap of an answer to this request. */
    long capFor(String scheme, String host, int port, String path) {
        boolean apiCall = TokenGuard.authority(scheme, host, port).equals(apiAuthority) && path != null && path.startsWith(apiContactsPath);
        return apiCall ? DialfireApi.API_MAX_BYTES : pdfMaxBytes;
    }

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain) throws IOException, HttpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpHost target = scope.route.getTargetHost();
        long cap = capFor(target.getSchemeName(), target.getHostName(), target.getPort(), request.getPath());
        ClassicHttpResponse response = chain.proceed(request, scope);
        if (response.getEntity() != null) {
            response.setEntity(new Capped(response.getEntity(), cap, deadline, timeout));
        }
        return response;
    }

    /** The answer's body, read at most up to its cap and its deadline. */
    static final class Capped extends HttpEntityWrapper {
        private final long cap;
        private final long deadline;
        private final Duration timeout;
        private Guarded stream;

        Capped(HttpEntity wrapped, long cap, long deadline, Duration timeout) {
            super(wrapped);
            this.cap = cap;
            this.deadline = deadline;
            this.timeout = timeout;
        }

        @Override
        public synchronized InputStream getContent() throws IOException {
            if (stream == null) {
                InputStream raw = super.getContent();
                if (super.getContentLength() > cap) {
                    abort(raw);
                    throw new TooLargeException(cap);
                }
                stream = new Guarded(raw, cap, deadline, timeout);
            }
            return stream;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = getContent()) {
                in.transferTo(out);
            }
        }

        @Override
        public boolean isRepeatable() {
            return false;
        }

        @Override
        public void close() throws IOException {
            Guarded s;
            synchronized (this) {
                s = stream;
            }
            if (s != null) {
                s.close();
            } else {
                super.close();
            }
        }
    }

    private static final class Guarded extends FilterInputStream {
        private final long cap;
        private final long deadline;
        private final Duration timeout;
        private long count;
        private boolean eof;
        private boolean closed;

        Guarded(InputStream in, long cap, long deadline, Duration timeout) {
            super(in);
            this.cap = cap;
            this.deadline = deadline;
            this.timeout = timeout;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (eof) {
                return -1;
            }
            check();
            int n = in.read(b, off, len);
            if (n < 0) {
                eof = true;
                return n;
            }
            count += n;
            if (count > cap) {
                close();
                throw new TooLargeException(cap);
            }
            check();
            return n;
        }

        private void check() throws IOException {
            if (System.nanoTime() - deadline > 0) {
                close();
                throw new DeadlineExceededException(timeout);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(8192, Math.max(0, n))];
            int read = read(buffer, 0, buffer.length);
            return Math.max(0, read);
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (eof) {
                in.close();
            } else {
                // never drain what is left: that is what a stalled or huge answer wants
                abort(in);
            }
        }
    }

    static void abort(InputStream in) throws IOException {
        if (in instanceof EofSensorInputStream sensor) {
            sensor.abort();
        } else {
            in.close();
        }
    }
}
