package de.geolead.delivery;

/**
 * A composed lead mail, ready to become a MIME message with {@link LeadMailMessage}.
 *
 * @param subject        one line, no homeowner data
 * @param html           the HTML body
 * @param text           the plain-text body
 * @param attachmentName file name for the attached lead sheet PDF
 */
public record LeadMail(String subject, String html, String text, String attachmentName) {
}
