package dev.shardgate.proxy.rest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ByteBufferRequestContent;
import org.eclipse.jetty.client.PathRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * A request body, read from the client once and kept until its request ends, so that a retry after a 429 or a 5xx
 * sends it again without reading it again. Up to {@value #SPOOL_ABOVE} bytes it stays in memory (nearly every
 * request: JSON); a larger one (an upload, up to 25 MiB) goes to a file under {@code REST_SPOOL_DIR} as it arrives,
 * so the heap never holds it, and is deleted by {@link #close()}. Owned by its request's thread.
 */
final class RequestBody implements AutoCloseable {
    /** Bodies larger than this are spooled to a file. */
    static final int SPOOL_ABOVE = 1024 * 1024;
    private static final System.Logger LOG = System.getLogger(RequestBody.class.getName());
    static final RequestBody EMPTY = new RequestBody(new byte[0], 0, null);
    private static final int FIRST_BUFFER = 8 * 1024;

    private final byte[] memory;
    private final long size;
    private final Path file;

    private RequestBody(byte[] memory, long size, Path file) {
        this.memory = memory;
        this.size = size;
        this.file = file;
    }

    /** The body is larger than the proxy accepts; the rest of it was not read. */
    static final class TooLargeException extends Exception {
        private static final long serialVersionUID = 1L;

        TooLargeException() {
            super("body too large", null, false, false);
        }
    }

    /** The replica holds as many bodies as it may ({@link HeldRequests}); the rest of this one was not read. */
    static final class NoRoomException extends Exception {
        private static final long serialVersionUID = 1L;

        NoRoomException() {
            super("no room for the body", null, false, false);
        }
    }

    /**
     * Reads the whole body, which must arrive by {@code deadlineNanos} ({@link System#nanoTime()}), not exceed
     * {@code maxBytes}, and fit in the request's {@code place} (which grows with a body of undeclared length). Blocks
     * its (virtual) thread between chunks.
     *
     * @throws TimeoutException the client was too slow (the deadline, or the connection's idle timeout, passed)
     * @throws IOException the client went away mid-body, or the spool file could not be written
     */
    static RequestBody read(org.eclipse.jetty.server.Request request, long maxBytes, Path spoolDir, long deadlineNanos,
                            HeldRequests.Place place)
            throws IOException, TooLargeException, NoRoomException, TimeoutException, InterruptedException {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > maxBytes) {
            throw new TooLargeException();
        }
        Reader reader = new Reader(maxBytes, spoolDir, declared, place);
        try {
            Semaphore available = new Semaphore(0);
            Runnable wake = Invocable.from(Invocable.InvocationType.NON_BLOCKING, available::release);
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(wake);
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0 || !available.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                        throw new TimeoutException("body not received in time");
                    }
                    continue;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // A transient failure is the connection's idle timeout: the client stopped sending.
                    if (!chunk.isLast() && chunk.getFailure() instanceof TimeoutException t) {
                        throw t;
                    }
                    // Quiet: Jetty logs a failed request at WARN unless its failure says the client went away.
                    throw new EofException(chunk.getFailure());
                }
                try {
                    reader.add(chunk.getByteBuffer());
                } finally {
                    chunk.release();
                }
                if (chunk.isLast()) {
                    return reader.finish();
                }
            }
        } catch (IOException | TooLargeException | NoRoomException | TimeoutException | InterruptedException
                 | RuntimeException e) {
            reader.abandon();
            throw e;
        }
    }

    /** Collects the chunks: in a growing array until it would pass {@link #SPOOL_ABOVE}, then in a file. */
    private static final class Reader {
        private final long maxBytes;
        private final Path spoolDir;
        private final HeldRequests.Place place;
        private byte[] memory;
        private long size;
        private Path file;
        private FileChannel channel;

        Reader(long maxBytes, Path spoolDir, long declared, HeldRequests.Place place) throws IOException {
            this.maxBytes = maxBytes;
            this.spoolDir = spoolDir;
            this.place = place;
            if (declared > SPOOL_ABOVE) {
                spool();
            } else {
                memory = new byte[declared >= 0 ? (int) declared : FIRST_BUFFER];
            }
        }

        void add(ByteBuffer data) throws IOException, TooLargeException, NoRoomException {
            int n = data.remaining();
            if (size + n > maxBytes) {
                throw new TooLargeException();
            }
            if (!place.growTo(size + n)) {
                throw new NoRoomException();
            }
            if (channel == null && size + n > SPOOL_ABOVE) {
                spool();
            }
            if (channel != null) {
                while (data.hasRemaining()) {
                    channel.write(data);
                }
            } else {
                if (size + n > memory.length) {
                    memory = Arrays.copyOf(memory, (int) Math.min(SPOOL_ABOVE, Math.max(size + n, memory.length * 2L)));
                }
                data.get(memory, (int) size, n);
            }
            size += n;
        }

        private void spool() throws IOException {
            file = Files.createTempFile(spoolDir, "shardgate-body-", ".bin");
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
            if (size > 0) {
                channel.write(ByteBuffer.wrap(memory, 0, (int) size));
            }
            memory = null;
        }

        RequestBody finish() throws IOException {
            if (channel != null) {
                channel.close();
                return new RequestBody(null, size, file);
            }
            return size == 0 ? EMPTY : new RequestBody(memory, size, null);
        }

        void abandon() {
            try {
                if (channel != null) {
                    channel.close();
                }
                if (file != null) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the spool file {0}: {1}", file, e.toString());
            }
        }
    }

    long size() {
        return size;
    }

    /** The bytes, for {@code Route.parse} (which looks into small JSON bodies only); empty for a spooled body. */
    byte[] inMemory() {
        if (memory == null) {
            return EMPTY.memory;
        }
        return memory.length == size ? memory : Arrays.copyOf(memory, (int) size);
    }

    /**
     * The body for one send upstream, from its start, or null when there is none. No content type: the client's
     * {@code Content-Type} header is forwarded with the others, spelt as the client spelt it.
     */
    org.eclipse.jetty.client.Request.Content content() throws IOException {
        if (size == 0) {
            return null;
        }
        if (file != null) {
            return new PathRequestContent((String) null, file);
        }
        return new ByteBufferRequestContent((String) null, ByteBuffer.wrap(memory, 0, (int) size));
    }

    /** Deletes the spool file, if any. */
    @Override
    public void close() {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the spool file {0}: {1}", file, e.toString());
            }
        }
    }
}
