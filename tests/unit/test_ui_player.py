"""The player's Python side: frame requests answered with JPEG buffers, actions, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.ui.frames import ArrayFrames, jpegs, moving_square
from workbench.ui.player import Player

#: How long a thread's event may take (s) before the test fails: it only catches a hang, so it is
#: generous (a busy machine may not run a thread for seconds).
HANG = 300


class Sent:
    def __init__(self):
        self.messages = []

    def __call__(self, content, buffers=None):
        self.messages.append((content, buffers))


@pytest.fixture
def player(monkeypatch):
    p = Player(moving_square(40, fps=25.0), threaded=False)
    sent = Sent()
    monkeypatch.setattr(p, "send", sent)
    p.sent = sent
    return p


def test_source_sets_traits(player):
    assert (player.n_frames, player.fps, player.height, player.width) == (40, 25.0, 240, 320)
    assert player.token == 1


def test_get_is_answered_with_jpeg_buffers(player):
    player._on_msg(player, {"type": "get", "indices": [3, 4, 99], "token": player.token}, [])
    content, buffers = player.sent.messages[-1]
    want = {"type": "frames", "indices": [3, 4], "token": player.token, "view": player.view_id, "fill": False}
    assert content == want
    assert all(isinstance(b, bytes) and b[:2] == b"\xff\xd8" for b in buffers)
    assert player.error == ""


def test_stale_token_is_ignored(player):
    player._on_msg(player, {"type": "get", "indices": [1], "token": player.token - 1}, [])
    assert player.sent.messages == []


def test_actions_reach_callbacks_with_the_frame(player):
    got = []
    player.on_action(lambda action, arg, frame: got.append((action, arg, frame)))
    player._on_msg(player, {"type": "action", "action": "mark", "arg": "onset", "frame": 7}, [])
    assert got == [("mark", "onset", 7)]
    assert player.frame == 7


def test_an_actions_frame_is_not_sent_back_to_the_browser(player, monkeypatch):
    """The browser may have stepped on since it sent the action; echoing the action's frame
    back would pull the player back to it."""
    states = []
    monkeypatch.setattr(player, "send_state", lambda key=None: states.append(key))
    seen = []
    player.observe(lambda ch: seen.append(ch["new"]), "frame")
    player._on_msg(player, {"type": "action", "action": "mark", "arg": "onset", "frame": 3}, [])
    assert player.frame == 3 and seen == [3]  # Python's observers (the timeline) follow
    assert states == []
    player.step(5)  # a move made in Python is sent
    assert states and player.frame == 8


def test_errors_are_shown_not_swallowed(player):
    player._on_msg(player, {"type": "action", "action": "explode"}, [])
    assert "Expected an action among" in player.error and "explode" in player.error


def test_unknown_keyword_refused():
    with pytest.raises(TypeError):
        Player(moving_square(4), colour="red")


def test_landmarks_shape_checked():
    with pytest.raises(ValueError, match="Expected landmarks of shape"):
        Player().set_source(moving_square(4), landmarks=np.zeros((3, 5, 2)))


def test_array_frames_refuse_bad_input():
    with pytest.raises(ValueError, match="uint8 frames"):
        ArrayFrames(np.zeros((2, 4, 4)), fps=30)
    with pytest.raises(IndexError):
        moving_square(3).frame(3)


def test_batch_jpegs_match_single():
    src = moving_square(5)
    assert len(jpegs(src, [0, 1, 2])) == 3


def test_frame_server_serves_front_first_and_drops_far_prefetch():
    import threading

    from workbench.ui.frame_server import FrameServer

    served, done = [], threading.Event()
    gate, taken = threading.Event(), threading.Event()

    def serve(request):
        taken.set()
        gate.wait(HANG)
        served.append(request["indices"])
        if len(served) == 3:
            done.set()

    server = FrameServer(serve, reach=lambda: 10, on_error=lambda exc: None)
    server.submit({"indices": [1, 2], "cursor": 0})
    assert taken.wait(HANG)  # the worker holds [1, 2] while the rest queue up
    server.submit({"indices": [3, 4], "cursor": 0})
    server.submit({"indices": [50, 90], "cursor": 0})  # 90 is far once the cursor is at 50
    server.submit({"indices": [50], "front": True, "cursor": 50})
    gate.set()
    assert done.wait(HANG)
    assert served[1] == [50] and served[2] == [50]
    assert server.dropped == 3  # 3, 4 and 90 are far from frame 50


def test_frame_server_fills_only_when_idle_and_never_drops_fill_frames():
    """The browser's background fill waits behind every other request and keeps frames
    far from the cursor (it is how a jump anywhere finds its frame already held)."""
    import threading

    from workbench.ui.frame_server import FrameServer

    served, done = [], threading.Event()
    gate, taken = threading.Event(), threading.Event()

    def serve(request):
        taken.set()
        gate.wait(HANG)
        served.append((request["indices"], bool(request.get("fill"))))
        if len(served) == 5:
            done.set()

    server = FrameServer(serve, reach=lambda: 10, on_error=lambda exc: None)
    server.submit({"indices": [1], "cursor": 0})
    assert taken.wait(HANG)
    server.submit({"indices": [500, 501, 502, 503, 504, 505], "fill": True, "cursor": 0})
    server.submit({"indices": [2, 3], "cursor": 0})
    server.submit({"indices": [7], "front": True, "cursor": 7})
    gate.set()
    assert done.wait(HANG)
    assert served == [
        ([1], False),
        ([7], False),  # the screen first
        ([2, 3], False),  # then the window, though filed after the fill
        ([500, 501, 502, 503], True),  # then the fill, a batch at a time, far frames kept
        ([504, 505], True),
    ]
    assert server.dropped == 0


def test_frame_server_files_a_fill_frame_once_and_drops_fills_of_another_clip():
    """The browser asks again for fill frames that have not come after a while; on a slow clip
    they are still waiting in the kernel, and must be served once, not once per asking."""
    import threading

    from workbench.ui.frame_server import FrameServer

    served, done = [], threading.Event()
    gate, taken = threading.Event(), threading.Event()

    def serve(request):
        taken.set()
        gate.wait(HANG)
        served.extend((request["token"], i) for i in request["indices"])
        if (2, 9) in served:
            done.set()

    server = FrameServer(serve, reach=lambda: 10, on_error=lambda exc: None)
    server.submit({"indices": [1], "token": 1, "cursor": 0})
    assert taken.wait(HANG)
    server.submit({"indices": [10, 11, 12], "fill": True, "token": 1, "view": 0})
    server.submit({"indices": [10, 11, 12, 13], "fill": True, "token": 1, "view": 0})  # asked again
    server.submit({"indices": [20, 21], "fill": True, "token": 1, "view": 0})
    gate.set()
    for _ in range(400):  # the first clip's fill is served ...
        if (1, 21) in served:
            break
        threading.Event().wait(0.01)
    assert [i for t, i in served if t == 1] == [1, 10, 11, 12, 13, 20, 21]
    assert server.duplicates == 3
    gate.clear()
    served.clear()
    server.submit({"indices": [5], "token": 2, "cursor": 0})  # ... a new clip: its frame first
    server.submit({"indices": [30, 31], "fill": True, "token": 1, "view": 0})  # the old clip's, late
    server.submit({"indices": [8, 9], "fill": True, "token": 2, "view": 0})
    gate.set()
    assert done.wait(HANG)
    assert [i for t, i in served] == [5, 8, 9] and all(t == 2 for t, _ in served)


def test_fill_replies_say_so(player):
    player._on_msg(player, {"type": "get", "indices": [30, 31], "token": player.token, "fill": True}, [])
    content, buffers = player.sent.messages[-1]
    assert content["fill"] is True and content["indices"] == [30, 31] and len(buffers) == 2


def test_a_frame_that_cannot_be_read_is_skipped_by_the_fill_and_reported_when_shown(monkeypatch):
    class Broken:
        def __init__(self, inner, bad):
            self.inner, self.bad = inner, bad
            self.n_frames, self.fps, self.shape = inner.n_frames, inner.fps, inner.shape

        def jpeg(self, i, quality=85):
            if i == self.bad:
                raise ValueError(f"frame {i} is corrupt")
            return self.inner.jpeg(i, quality)

    p = Player(Broken(moving_square(40, fps=25.0), bad=5), threaded=False)
    sent = Sent()
    monkeypatch.setattr(p, "send", sent)
    p._on_msg(p, {"type": "get", "indices": [4, 5, 6], "token": p.token, "fill": True}, [])
    content, buffers = sent.messages[-1]
    assert content["indices"] == [4, 6] and content["failed"] == [5] and len(buffers) == 2
    assert p.error == ""  # the background fill does not raise an error by itself
    p._on_msg(p, {"type": "get", "indices": [5], "token": p.token, "front": True}, [])
    assert "frame 5 is corrupt" in p.error


def test_the_browser_reads_its_constants_from_python():
    """Keys, reach and the disturbed-flash rule are defined once, in Python, and sent as traits:
    the JavaScript has no copy of its own (a copy would drift)."""
    import re
    from pathlib import Path

    from workbench import teach
    from workbench.schema import EMOTION_KEYS, EMOTIONS
    from workbench.ui import player as player_module
    from workbench.ui.quiz import Quiz

    ui = Path(player_module.__file__).parent
    player_js, quiz_js = (ui / "player.js").read_text(), (ui / "quiz.js").read_text()
    code = [re.sub(r"//.*", "", js) for js in (player_js, quiz_js)]  # comments may name them
    for js in code:
        assert not [e for e in EMOTIONS if f'"{e}"' in js], "an emotion name is spelled in the JavaScript"
        assert 'model.get("emotion_keys")' in js
    assert 'model.get("reach")' in code[0] and "2 * model.get" not in code[0]
    assert 'model.get("disturbed_interval")' in code[1] and "DISTURBED_INTERVAL" not in code[1]
    assert Player().emotion_keys == [list(p) for p in EMOTION_KEYS]
    assert dict(EMOTION_KEYS) == {"1": "happiness", "2": "sadness", "3": "anger", "4": "fear",
                                  "5": "disgust", "6": "surprise", "7": "contempt", "0": "others"}  # fmt: skip
    assert Quiz.disturbed_interval.default_value == teach.DISTURBED_INTERVAL
    player = Player(prefetch=50, cache_size=300)
    assert player.reach == 150 and player._reach() == 150
    player.prefetch = 100
    assert player.reach == 200


def test_frames_are_sent_at_the_size_shown_and_cut_to_the_face_when_zoomed(player):
    """A frame travels at the canvas' size in device pixels, not the source's: the browser
    says the box it fits in (view_px); zoomed, the face box is cut out at that size."""
    import cv2

    def sent_shape(indices):
        player._on_msg(player, {"type": "get", "indices": indices, "token": player.token, "view": player.view_id}, [])
        _, buffers = player.sent.messages[-1]
        return cv2.imdecode(np.frombuffer(buffers[0], np.uint8), cv2.IMREAD_COLOR).shape[:2]

    assert player.crop == [0, 0, 320, 240] and sent_shape([3]) == (240, 320)  # small: never enlarged
    first = player.view_id
    player.view_px = [160, 160]  # a canvas of 160 device pixels
    assert player.view_id == first + 1 and sent_shape([3]) == (120, 160)
    player.face_box = [0.25, 0.25, 0.5, 0.5]  # 80x60 pixels, the frame's own aspect
    player.zoom = True
    assert player.crop == [80, 60, 80, 60] and sent_shape([3]) == (60, 80)
    stale = player.view_id - 1
    player._on_msg(player, {"type": "get", "indices": [4], "token": player.token, "view": stale}, [])
    assert player.sent.messages[-1][0]["indices"] == [3]  # asked for in an older view: not served


def test_view_geometry_widens_the_face_box_to_the_frame_and_keeps_it_inside():
    from workbench.ui.frames import view_geometry

    # a tall box on a wide frame is widened to 2040/1088 and moved inside the right edge
    crop, size = view_geometry((1088, 2040, 3), (1040, 960), [0.9, 0.2, 1.0, 0.6], zoom=True)
    assert crop[0] + crop[2] == 2040 and abs(crop[2] / crop[3] - 2040 / 1088) < 0.01
    assert size[0] == min(crop[2], 1040)
    assert view_geometry((1088, 2040, 3), (1040, 960), [0.9, 0.2, 1.0, 0.6], zoom=False)[0] == (0, 0, 2040, 1088)
