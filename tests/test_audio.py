"""add_audio: the WAV bytes and the Summary.Audio fields equal tensorboardX's (soundfile)."""

import io
import wave

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, summary_events

WALL = 1_700_000_000.0
rng = np.random.default_rng(11)


def pcm16(x: np.ndarray) -> np.ndarray:
    """libsndfile's quantisation: to 32-bit PCM (round half to even, clipped), top 16 bits."""
    wide = np.clip(np.rint(np.clip(x, -1, 1) * 2.0**31), -(2**31), 2**31 - 1).astype(np.int64)
    return (wide >> 16).astype("<i2")


@pytest.mark.parametrize(
    ("samples", "sample_rate"),
    [
        (np.sin(np.linspace(0, 200, 4410)), 44100),
        (rng.uniform(-1, 1, 1000).astype(np.float32), 8000),
        (rng.uniform(-1, 1, (1000, 1)), 16000),
        (rng.uniform(-1, 1, (777, 2)).astype(np.float32), 22050),
        (rng.uniform(-1, 1, (100_000, 2)), 44100),
        (rng.uniform(-3, 3, (500, 2)), 44100),  # clipped to [-1, 1]
        (np.array([0.5, 1.0, -1.0, 0.1, -0.1, 0.99999, -1 / 65536, 2.0, -2.0, np.inf]), 1),
        # Within 2^-16 of a step: libsndfile rounds up to it, where floor(x * 32768) would not.
        (np.array([-3.3e-11, 13621.9999956 / 32768, -14251.0000065 / 32768, 1 - 2**-40]), 8000),
        (0.5 * np.sin(np.linspace(0, 2 * np.pi * 440, 8000, endpoint=False)), 8000),
        (rng.uniform(-1, 1, (2, 600)).T, 48000),  # a transposed (strided) view
        (rng.uniform(-1, 1, 2000)[::3], 11025),
        (torch.rand(300) * 2 - 1, 44100),
        (torch.rand(300, 2, dtype=torch.float64, requires_grad=True), 96000),
    ],
    ids=lambda v: f"{v}Hz" if isinstance(v, int) else f"{v.dtype}{tuple(v.shape)}",
)
def test_wav_bytes_match_tensorboardx(tmp_path, samples, sample_rate):
    (event,) = assert_same_events(
        tmp_path, lambda w: w.add_audio("clip", samples, 3, sample_rate, WALL)
    )
    audio = event.summary.value[0].audio
    assert audio.content_type == "audio/wav"
    assert not event.summary.value[0].HasField("metadata")
    array = samples.detach().numpy() if isinstance(samples, torch.Tensor) else samples
    data = audio.encoded_audio_string[44:]
    assert np.array_equal(np.frombuffer(data, "<i2"), pcm16(array).reshape(-1))


def test_the_reader_and_wave_module_decode_it(logdir):
    stereo = rng.uniform(-1, 1, (1234, 2))
    with turboboard.SummaryWriter(logdir) as w:
        w.add_audio("stereo", stereo, 5, sample_rate=22050)
        w.add_audio("mono", stereo[:, 0], 6)
    acc = accumulate(logdir)
    assert sorted(acc.Tags()["audio"]) == ["mono", "stereo"]
    (clip,) = acc.Audio("stereo")
    assert (clip.step, clip.sample_rate, clip.length_frames) == (5, 22050, 1234)
    assert clip.content_type == "audio/wav"
    with wave.open(io.BytesIO(clip.encoded_audio_string)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 22050)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
    assert np.array_equal(frames, pcm16(stereo))
    (mono,) = acc.Audio("mono")
    assert (mono.sample_rate, mono.length_frames) == (44100, 1234)


def test_nan_is_silence(logdir):
    # tensorboardX (libsndfile) writes NaN as -32768, a full-scale click; we write silence.
    with turboboard.SummaryWriter(logdir) as w:
        w.add_audio("nan", np.array([0.5, np.nan, -0.5]), 0)
    (event,) = summary_events(logdir)
    data = event.summary.value[0].audio.encoded_audio_string[44:]
    assert np.frombuffer(data, "<i2").tolist() == [16384, 0, -16384]


def test_integers_are_amplitudes(logdir):
    # Clipped to [-1, 1] like floats (tensorboardX hands int16 to soundfile unscaled).
    with turboboard.SummaryWriter(logdir) as w:
        w.add_audio("ints", np.array([-5, -1, 0, 1, 7], dtype=np.int16), 0)
    (event,) = summary_events(logdir)
    data = event.summary.value[0].audio.encoded_audio_string[44:]
    assert np.frombuffer(data, "<i2").tolist() == [-32768, -32768, 0, 32767, 32767]


@pytest.mark.parametrize(
    ("samples", "sample_rate", "error", "match"),
    [
        (np.zeros((10, 3)), 44100, ValueError, "snd_tensor"),
        (np.zeros((2, 10, 1)), 44100, ValueError, "snd_tensor"),
        (np.zeros(0), 44100, ValueError, "snd_tensor"),
        (np.float64(0.5), 44100, ValueError, "snd_tensor"),
        (np.array(["a", "b"]), 44100, TypeError, "snd_tensor"),
        ("noise", 44100, TypeError, "snd_tensor"),
        (np.zeros(10), 0, ValueError, "sample_rate"),
        (np.zeros(10), -8000, ValueError, "sample_rate"),
        (np.zeros(10), 2**32, ValueError, "sample_rate"),
        (np.zeros(10), 8000.5, TypeError, "sample_rate"),
        (np.zeros(10), "8000", TypeError, "sample_rate"),
        (np.zeros(10), True, TypeError, "sample_rate"),
    ],
)
def test_bad_audio_raises_clearly(logdir, samples, sample_rate, error, match):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=match):
            w.add_audio("clip", samples, 0, sample_rate)
    assert summary_events(logdir) == []


def test_numpy_integer_sample_rate(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_audio("clip", np.zeros(10), 0, np.int64(16000))
    (event,) = summary_events(logdir)
    assert event.summary.value[0].audio.sample_rate == 16000
