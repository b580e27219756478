"""placeholder"""


def load(path, media=None, **kw):
    raise NotImplementedError
