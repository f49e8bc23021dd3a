"""The VectorMemory port's adapters and what they are made of.

``index`` is the in-process similarity index (float32, or int8 codes re-scored with float32
rows kept in ``row_file``); ``memory`` is the embedded vector memory over one index;
``blob_memory`` is the durable one over a blob store (S3, or a folder), with the stored
layout in ``format``, reads in ``blobs`` and ETag-conditional ``compaction``. Nothing is
re-exported: every module here needs numpy, which a config without a vector store never loads.
"""
