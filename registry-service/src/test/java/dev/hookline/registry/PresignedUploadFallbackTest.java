package dev.hookline.registry;

import dev.hookline.client.BlobUpload;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26: clients that cannot reach the object store still upload. Here the store's address in
 * presigned URLs (hookline.s3.public-endpoint) is a closed port, as for a store on a network only
 * the registry reaches, and blobs over 4 KiB get no presigned URL at all: the client streams
 * through the registry in both cases and says why; in PRESIGNED mode it fails instead.
 */
@QuarkusTest
@TestProfile(PresignedUploadFallbackTest.UnreachableStore.class)
class PresignedUploadFallbackTest {

    /** The store's public address is a port nothing listens on; presigned uploads up to 4 KiB. */
    public static class UnreachableStore implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("hookline.s3.public-endpoint", "http://127.0.0.1:" + closedPort(),
                    "hookline.blobs.presigned-upload-max-bytes", "4096");
        }
    }

    @Test
    void theClientStreamsWhenThePresignedPathIsNotThere() {
        String worker = Fixtures.token(Fixtures.unique("pf-w"), "WORKER");
        URI base = URI.create("http://127.0.0.1:" + RestAssured.port);
        RegistryClient client = new RegistryClient(base, worker);

        byte[] small = Fixtures.randomBytes(1_000);
        BlobUpload up = client.uploadBlob(small);
        assertEquals(BlobUpload.Transfer.STREAMED, up.transfer());
        assertTrue(up.note().contains("not reachable"), up.note());
        assertArrayEquals(small, as(worker).get("/api/blobs/" + up.ref().key()).then().statusCode(200).extract().asByteArray());
        // The failed attempt left nothing behind under the blob's uploads.
        assertEquals(0, uncheckedStaging(up.ref().hex()));

        byte[] large = Fixtures.randomBytes(10_000);
        String hex = Fixtures.sha256(large);
        as(worker).contentType(ContentType.JSON).body(Map.of("size", large.length))
                .post("/api/blobs/sha256/" + hex + "/uploads").then().statusCode(200).body("stored", is(false))
                .body("upload", nullValue()).body("reason", containsString("over 4096 bytes"));
        BlobUpload streamed = client.uploadBlob(large);
        assertEquals(BlobUpload.Transfer.STREAMED, streamed.transfer());
        assertTrue(streamed.note().contains("over 4096 bytes"), streamed.note());
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(200).header("Content-Length", "10000");

        RegistryClient strict = new RegistryClient(base, worker,
                RegistryClient.Options.defaults().withBlobUpload(RegistryClient.BlobUploadMode.PRESIGNED).withAttempts(1));
        RegistryException e = assertThrows(RegistryException.class, () -> strict.uploadBlob(Fixtures.randomBytes(500)));
        assertEquals(0, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains("not reachable"), e.getMessage());
        e = assertThrows(RegistryException.class, () -> strict.uploadBlob(Fixtures.randomBytes(5_000)));
        assertTrue(e.getMessage().contains("over 4096 bytes"), e.getMessage());
    }

    private static int uncheckedStaging(String hex) {
        try {
            return PresignedUploadTest.staging(hex).size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // closed again when this returns: connections are refused
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
