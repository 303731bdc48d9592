package de.geolead.api;

/**
 * Who calls the operations API: the token's name (recorded as the actor in {@code audit_log}) and its role.
 * {@code viewer} may read, {@code admin} may also write.
 */
public record ApiUser(String name, String role) {

    public static final String ADMIN = "admin";
    public static final String VIEWER = "viewer";

    public boolean isAdmin() {
        return ADMIN.equals(role);
    }
}
