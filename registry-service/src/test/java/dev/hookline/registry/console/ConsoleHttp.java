/*
 * A minimal browser for the console over plain HTTP (RestAssured, redirects not followed):
 * keeps the session cookie, reads the CSRF token out of the page, posts forms.
 */
package dev.hookline.registry.console;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** One console user agent: a session cookie and the CSRF token of the last page read. */
final class ConsoleHttp {

    static final String COOKIE = "hookline_console";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final Pattern SET_COOKIE = Pattern.compile(COOKIE + "=([^;]*)");

    String cookie;
    String csrf;

    /** Signs in with an API token through the sign-in form; asserts the 303 back to {@code next}. */
    static ConsoleHttp signIn(String token) {
        ConsoleHttp c = new ConsoleHttp();
        c.openSignIn();
        Response r = c.postForm("/signin", Map.of("token", token, "next", "/models"));
        assertEquals(303, r.statusCode(), r.asString());
        c.cookie = cookieValue(r.getHeader("Set-Cookie"));
        c.get("/models").then().statusCode(200);
        return c;
    }

    /** GET /signin: an anonymous session cookie and the form's CSRF token. */
    Response openSignIn() {
        Response r = request().get("/signin");
        r.then().statusCode(200);
        cookie = cookieValue(r.getHeader("Set-Cookie"));
        csrf = csrf(r.asString());
        return r;
    }

    /** A request carrying the session cookie, redirects not followed. */
    RequestSpecification request() {
        RequestSpecification s = given().redirects().follow(false);
        return cookie == null ? s : s.cookie(COOKIE, cookie);
    }

    /** GET a page; remembers its CSRF token. */
    Response get(String path) {
        Response r = request().get(path);
        String token = csrf(r.asString());
        if (token != null) {
            csrf = token;
        }
        return r;
    }

    /** POST a form with this session's CSRF token added. */
    Response postForm(String path, Map<String, String> fields) {
        RequestSpecification s = request().contentType("application/x-www-form-urlencoded; charset=UTF-8")
                .formParam("csrf", csrf);
        fields.forEach(s::formParam);
        return s.post(path);
    }

    /** POST a form with exactly these fields (no CSRF token added). */
    Response postRaw(String path, Map<String, String> fields) {
        RequestSpecification s = request().contentType("application/x-www-form-urlencoded; charset=UTF-8");
        fields.forEach(s::formParam);
        return s.post(path);
    }

    static String csrf(String html) {
        Matcher m = CSRF.matcher(html == null ? "" : html);
        return m.find() ? m.group(1) : null;
    }

    static String cookieValue(String setCookie) {
        assertNotNull(setCookie, "no Set-Cookie header");
        Matcher m = SET_COOKIE.matcher(setCookie);
        return m.find() ? m.group(1) : null;
    }
}
