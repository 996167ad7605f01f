"""Reading a Tistory blog: URLs, discovery, pages, parsing and cleaning."""
