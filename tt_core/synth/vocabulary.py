"""Names and sizes a synthetic university is drawn from: subjects, degrees, buildings, people,
room capacity tiers (ASCII only)."""

from __future__ import annotations

import numpy as np

# ----------------------------------------------------------------------------- names (ASCII only)

_SUBJECTS = (
    ("Mathematics", "MAT"), ("Physics", "PHY"), ("Chemistry", "CHE"), ("Biology", "BIO"),
    ("Computer Science", "CSC"), ("Economics", "ECO"), ("History", "HIS"), ("Philosophy", "PHI"),
    ("Psychology", "PSY"), ("Sociology", "SOC"), ("Linguistics", "LIN"), ("Law", "LAW"),
    ("Medicine", "MED"), ("Nursing", "NUR"), ("Civil Engineering", "CIV"), ("Mechanical Engineering", "MEC"),
    ("Electrical Engineering", "ELE"), ("Architecture", "ARC"), ("Music", "MUS"), ("Fine Arts", "ART"),
    ("Geography", "GEO"), ("Geology", "GEL"), ("Statistics", "STA"), ("Political Science", "POL"),
    ("Business", "BUS"), ("Finance", "FIN"), ("Marketing", "MKT"), ("Education", "EDU"),
    ("Pharmacy", "PHA"), ("Astronomy", "AST"), ("Anthropology", "ANT"), ("Archaeology", "ARH"),
    ("Classics", "CLA"), ("English", "ENG"), ("French", "FRE"), ("German", "GER"),
    ("Spanish", "SPA"), ("Japanese", "JAP"), ("Journalism", "JOU"), ("Agriculture", "AGR"),
    ("Veterinary Science", "VET"), ("Dentistry", "DEN"), ("Materials Science", "MAS"),
    ("Chemical Engineering", "CHG"), ("Aerospace Engineering", "AER"), ("Oceanography", "OCE"),
    ("Theology", "THE"), ("Film Studies", "FIL"),
)
_QUALIFIERS = (("", ""), ("Applied ", "A"), ("Computational ", "C"), ("Environmental ", "E"))
_DEGREES = ("BSc", "MSc", "BA", "MA", "BEng", "MEng", "LLB", "MPhil", "PhD", "Cert")
_BUILDINGS = (("Main", "MAIN"), ("North", "NRTH"), ("South", "STH"), ("East", "EAST"), ("West", "WEST"),
              ("Science", "SCI"), ("Library", "LIB"), ("Engineering", "ENG"), ("Arts", "ARTS"),
              ("Medical", "MED"), ("Harbour", "HARB"), ("Garden", "GRDN"))
_FIRST = ("Ada", "Alan", "Amara", "Ana", "Ben", "Carla", "Chen", "Dara", "David", "Elena", "Emil", "Eva",
          "Farah", "Felix", "Grace", "Hana", "Ivan", "Jonas", "Julia", "Kai", "Karin", "Leo", "Lina",
          "Marek", "Maria", "Mei", "Nadia", "Noah", "Omar", "Paula", "Pedro", "Rosa", "Sami", "Sara",
          "Tomas", "Una", "Victor", "Wen", "Yara", "Zoe")
_LAST = ("Abe", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
         "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka",
         "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Bauer", "Horvat", "Nakamura", "Olsen")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Room capacity tiers in seats: a lecture of ``s`` students needs the smallest tier >= s.
_LECTURE_TIERS = (20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500)
_LAB_TIERS = (16, 24, 32, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300)
_SEMINAR_MAX = 40  # lecture-pool rooms up to this size are seminar rooms, larger ones lecture halls
ROOM_TYPES = ("lecture hall", "seminar", "lab")


def _tiers_for(base: tuple[int, ...], largest: int) -> np.ndarray:
    """The tier sizes, extended by steps of 100 seats until ``largest`` students fit."""
    tiers = list(base)
    while tiers[-1] < largest:
        tiers.append(tiers[-1] + 100)
    return np.array(tiers, np.int64)
