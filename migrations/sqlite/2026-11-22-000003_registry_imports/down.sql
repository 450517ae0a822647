DROP TABLE registry_import_rejections;
DROP TABLE registry_imports;
