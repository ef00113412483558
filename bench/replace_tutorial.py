# The tutorial's concurrent file rewrite (../../shared/seeds/003_*.txt,
# "replace text in multiple files concurrently"), as the tutorial writes it:
# one thread per file, read the whole file, str.replace, reopen with 'w'
# (which truncates the file before writing it: killed in between, the file
# is empty or half written). Only the file list and the strings come from
# the command line, for the benchmark:
#
#   python3 bench/replace_tutorial.py DIR OLD NEW
import os
import sys
import threading


def replace_in_file(filename, old_text, new_text):
    try:
        with open(filename, 'r') as f:
            content = f.read()
        content = content.replace(old_text, new_text)
        with open(filename, 'w') as f:
            f.write(content)
        print(f"Processed {filename}")
    except Exception as e:
        print(f"Error processing {filename}: {e}")


root, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
files = [os.path.join(d, name) for d, _, names in os.walk(root) for name in names]
threads = []
for file in files:
    t = threading.Thread(
        target=replace_in_file,
        args=(file, old, new)
    )
    threads.append(t)
    t.start()
for t in threads:
    t.join()
