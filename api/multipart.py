"""Multipart parsing where a photo part is a file even when the client gave it no filename.

Werkzeug takes a part without ``filename=`` for a text field: it decodes the bytes as text
(a JPEG then "holds a NUL character") and caps it at the form-memory limit. Some clients send
files like that (OkHttp's ``addFormDataPart`` without a filename, some curl wrappers), so parts
under the names our upload endpoints read are streamed as files whatever their disposition.
"""

from __future__ import annotations

from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

# The part names api/photos.py (photos, photo) and api/open311.py (media) read as files.
FILE_PARTS = frozenset({"photos", "photo", "media"})


class _FilePartsDecoder(MultipartDecoder):
    def next_event(self):
        """Werkzeug's events, with a text field under a file part's name turned into a file."""
        event = super().next_event()
        if isinstance(event, Field) and event.name in FILE_PARTS:
            return File(name=event.name, filename="", headers=event.headers)
        return event


class FilePartsParser(MultiPartParser):
    """werkzeug's MultiPartParser (same limits and results), on the decoder above."""

    def parse(self, stream, boundary, content_length):
        """Split the body into (fields, files) as werkzeug does."""
        decoder = _FilePartsDecoder(boundary, max_form_memory_size=self.max_form_memory_size,
                                    max_parts=self.max_form_parts)
        fields, files = [], []
        part = container = field_size = None
        while True:
            data = stream.read(self.buffer_size)
            decoder.receive_data(data or None)  # None tells the decoder the body ended
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, Field):
                    part, container, field_size = event, [], 0
                elif isinstance(event, File):
                    part, field_size = event, None
                    container = self.start_file_streaming(event, content_length)
                elif isinstance(event, Data):
                    if field_size is not None:
                        field_size += len(event.data)
                        if (self.max_form_memory_size is not None
                                and field_size > self.max_form_memory_size):
                            raise RequestEntityTooLarge()
                        container.append(event.data)
                    else:
                        container.write(event.data)
                    if not event.more_data:
                        fields, files = self._finish(part, container, fields, files)
                event = decoder.next_event()
            if not data:
                break
        return self.cls(fields), self.cls(files)

    def _finish(self, part, container, fields, files):
        if isinstance(part, Field):
            fields.append((part.name, b"".join(container).decode(
                self.get_part_charset(part.headers), "replace")))
        else:
            container.seek(0)
            files.append((part.name, FileStorage(container, part.filename, part.name,
                                                 headers=part.headers)))
        return fields, files


class FilePartsFormDataParser(FormDataParser):
    """Form parsing with FilePartsParser for multipart bodies."""

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = FilePartsParser(stream_factory=self.stream_factory,
                                 max_form_memory_size=self.max_form_memory_size,
                                 max_form_parts=self.max_form_parts, cls=self.cls)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        fields, files = parser.parse(stream, boundary, content_length)
        return stream, fields, files
