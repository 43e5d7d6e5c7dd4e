"""QR codes for points: signed, revocable tokens and their images. (Being written.)"""
