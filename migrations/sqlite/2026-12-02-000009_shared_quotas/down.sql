DROP TABLE consultation_windows;
DROP TABLE authority_pace;
