package dev.caravan.ingress;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;

/**
 * The file consumer's filter: the first thing to look at an inbox entry, before the read lock waits on it.
 * Names that are not requests are left alone; an entry that is no regular file, too large or badly named is
 * set aside in the error folder at once, unread (the read lock would otherwise wait on it, or a read would
 * block on a pipe), and only a plain file goes on to be locked and read. Directories are never descended.
 */
public final class InboxGate implements GenericFileFilter<File> {

    private static final char UNDECODABLE = '\uFFFD';

    private final FileDrops drops;
    private final long maxBytes;

    public InboxGate(FileDrops drops, long maxBytes) {
        this.drops = drops;
        this.maxBytes = maxBytes;
    }

    @Override
    public boolean accept(GenericFile<File> file) {
        String name = file.getFileNameOnly();
        if (!DropNames.isRequest(name)) {
            return false;
        }
        Path path = file.getFile().toPath();
        if (drops.waiting(path)) {
            return false; // over its client's rate limit for a while yet
        }
        if (name.indexOf(UNDECODABLE) >= 0 && !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            // a name that is not valid UTF-8 reaches the filter decoded, and cannot be opened or moved by that form
            drops.setAsideUndecodable(path.getParent(), name);
            return false;
        }
        return switch (InboxEntries.inspect(path, maxBytes, false)) {
            case InboxEntries.Verdict.Readable readable -> true;
            // let the consumer find it gone; at start this also lets it clear the read-lock marker left beside it
            case InboxEntries.Verdict.Gone gone -> true;
            case InboxEntries.Verdict.Refused refused -> {
                drops.setAside(path, refused);
                yield false;
            }
        };
    }
}
