package de.geolead.console;

import java.nio.file.Path;

/**
 * What the console needs to know, built from the application's settings by its wiring
 * (GEOLEAD_CONSOLE_BIND, _PORT, _USERS_FILE, _WAR, _ADMIN_WRITE).
 *
 * @param usersFile  the users file; null = no console
 * @param war        the Hawtio war; null = {@code hawtio/hawtio.war} beside geolead.jar (or target/classes)
 * @param adminWrite whether console users may start, stop, suspend and resume routes
 */
public record ConsoleSettings(String bind, int port, Path usersFile, Path war, boolean adminWrite) {
}
