"""The code viewer: a version's files as a tree, one file highlighted with its findings, and the content
diff against the released version.

`reading` opens one member of the stored package (only members the scanner accepted, bytes capped);
`render` turns text into highlighted, wrapped, paginated rows (Pygments); `diffing` compares two
texts (difflib); `tree` builds the file tree; `documents` puts them together with the Django cache
and is what the pages and the API call. Access is `programs.selectors.code_version_for_user`.
"""
