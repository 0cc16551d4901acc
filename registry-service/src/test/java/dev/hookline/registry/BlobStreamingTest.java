package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, blobs stream once: an upload larger than one part (16 MiB) goes to the object store as
 * a multipart upload that is completed only when the bytes hash to the key (a mismatch leaves
 * nothing under the key); a download redirects to a presigned URL on request or streams.
 */
@QuarkusTest
class BlobStreamingTest {

    @Test
    void largeUploadsAreCheckedBeforeTheyBecomeVisible() {
        String worker = Fixtures.token(Fixtures.unique("bs-w"), "WORKER");
        byte[] bytes = Fixtures.randomBytes(20 << 20); // 2 parts: 16 + 4 MiB
        String hex = Fixtures.sha256(bytes);
        byte[] other = Fixtures.randomBytes(20 << 20);
        String otherHex = Fixtures.sha256(other);
        // Wrong bytes for a key: 422, and the key stays absent.
        as(worker).contentType("application/octet-stream").body(other).put("/api/blobs/sha256/" + hex)
                .then().statusCode(422).body("fields[0].field", equalTo("digest"));
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(404);
        as(worker).head("/api/blobs/sha256/" + otherHex).then().statusCode(404);
        // The right bytes: 201, stored with their size; again: 200, not written twice.
        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/" + hex)
                .then().statusCode(201).body("size", equalTo(bytes.length)).body("created", equalTo(true));
        as(worker).contentType("application/octet-stream").body(bytes).put("/api/blobs/sha256/" + hex)
                .then().statusCode(200).body("created", equalTo(false));
        as(worker).contentType("application/octet-stream").body(other).put("/api/blobs/sha256/" + hex)
                .then().statusCode(422);
        as(worker).head("/api/blobs/sha256/" + hex).then().statusCode(200)
                .header("Content-Length", String.valueOf(bytes.length));
        // Download: streamed by the registry, or a 307 to a presigned URL that serves the same bytes.
        assertArrayEquals(bytes, as(worker).get("/api/blobs/sha256/" + hex).then().statusCode(200).extract().asByteArray());
        Response redirect = as(worker).redirects().follow(false).queryParam("redirect", "true")
                .get("/api/blobs/sha256/" + hex);
        assertEquals(307, redirect.statusCode());
        String location = redirect.header("Location");
        assertTrue(location.contains("X-Amz-Signature="), location);
        byte[] direct = io.restassured.RestAssured.given().urlEncodingEnabled(false).get(location).then().statusCode(200)
                .extract().asByteArray();
        assertArrayEquals(bytes, direct);
        as(worker).queryParam("redirect", "maybe").get("/api/blobs/sha256/" + hex).then().statusCode(400);
    }
}
