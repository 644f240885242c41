-- A link made to be sent to the client (who opens it elsewhere, within its 24 h lifetime) or
-- opened in the app's own window. The newest sent link of a connection that still needs its
-- client is shown — waiting, or expired and offered to be sent again.
ALTER TABLE link_sessions ADD COLUMN delivery TEXT NOT NULL DEFAULT 'window'
    CHECK (delivery IN ('window', 'sent'));
CREATE INDEX link_sessions_by_connection ON link_sessions (connection_id, id);
