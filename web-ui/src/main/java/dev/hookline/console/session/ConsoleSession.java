/*
 * One browser session of the governance console. Follows OWASP's session management cheat
 * sheet: an unguessable id in an HttpOnly/Secure/SameSite=Strict cookie, a per-session CSRF
 * token for POST forms, a new id at sign-in (no fixation), idle expiry.
 */
package dev.hookline.console.session;

import dev.hookline.client.RegistryClient;

import java.time.Instant;
import java.util.List;

/**
 * A console session. Anonymous until sign-in (it then only carries the CSRF token of the sign-in
 * form); signed in it holds the user's API token inside a {@link RegistryClient} bound to the
 * registry's loopback address. The token never goes back to the browser.
 */
public final class ConsoleSession {

    private final String id;
    private final String csrf;
    private final RegistryClient client;
    private final String principal;
    private final List<String> roles;
    private volatile Instant lastUsed;
    private volatile String flash;

    ConsoleSession(String id, String csrf, RegistryClient client, String principal, List<String> roles, Instant now) {
        this.id = id;
        this.csrf = csrf;
        this.client = client;
        this.principal = principal;
        this.roles = roles == null ? List.of() : List.copyOf(roles);
        this.lastUsed = now;
    }

    /** The cookie value (256 random bits, URL-safe base64). */
    public String id() {
        return id;
    }

    /** The token every POST form of this session must carry. */
    public String csrf() {
        return csrf;
    }

    /** True once an API token was accepted by {@code GET /api/me}. */
    public boolean signedIn() {
        return client != null;
    }

    /** The registry client with the user's token; only for signed-in sessions. */
    public RegistryClient registry() {
        if (client == null) {
            throw new IllegalStateException("session is not signed in");
        }
        return client;
    }

    /** The token's principal as the registry reported it (null when anonymous). */
    public String principal() {
        return principal;
    }

    /** The token's roles as the registry reported them at sign-in (used only to hide controls). */
    public List<String> roles() {
        return roles;
    }

    /** Whether the token holds {@code role}; the API still decides every action. */
    public boolean has(String role) {
        return roles.contains(role);
    }

    Instant lastUsed() {
        return lastUsed;
    }

    void touch(Instant now) {
        lastUsed = now;
    }

    /** Stores a one-shot message for the next page (post/redirect/get). */
    public void flash(String message) {
        flash = message;
    }

    /** Takes the one-shot message, or null. */
    public String takeFlash() {
        String f = flash;
        flash = null;
        return f;
    }
}
