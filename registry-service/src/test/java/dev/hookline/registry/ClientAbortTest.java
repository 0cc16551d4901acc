package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26: a client that drops an upload half-way is logged as a client abort (INFO), not as
 * ERROR 500, and leaves nothing under the key (the multipart upload is aborted).
 */
@QuarkusTest
class ClientAbortTest {

    @Test
    void anAbortedUploadIsAClientAbortAndStoresNothing() throws Exception {
        String worker = Fixtures.token(Fixtures.unique("abort-w"), "WORKER");
        byte[] bytes = Fixtures.randomBytes(24 << 20);
        String hex = Fixtures.sha256(bytes);
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("dev.hookline.registry.api.ProblemMappers");
        logger.addHandler(capture);
        try {
            try (Socket s = new Socket("127.0.0.1", RestAssured.port)) {
                OutputStream out = s.getOutputStream();
                out.write(("PUT /api/blobs/sha256/" + hex + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + worker
                        + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(bytes, 0, 20 << 20); // more than one part, then the client goes away
                out.flush();
            }
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline
                    && records.stream().noneMatch(r -> r.getMessage() != null && r.getMessage().contains("client aborted"))) {
                Thread.sleep(100);
            }
        } finally {
            logger.removeHandler(capture);
        }
        assertTrue(records.stream().anyMatch(r -> r.getLevel().intValue() == Level.INFO.intValue() && String.valueOf(r.getMessage())
                .contains("client aborted")), "INFO client abort logged: " + records.stream().map(LogRecord::getMessage).toList());
        assertEquals(List.of(), records.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogRecord::getMessage).toList(), "nothing logged as an error");
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(404);
        // The registry still takes the whole upload afterwards.
        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/" + hex).then().statusCode(201);
    }
}
