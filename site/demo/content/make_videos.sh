#!/usr/bin/env bash
# Makes the demo media in site/demo/content/media/: each course's cover image, and for each slides/NAME.txt a
# lesson video NAME.mp4 (640x360 H.264 main, yuv420p, AAC mono, +faststart) and NAME.vtt (Chinese captions of
# the narration). Its renditions and JPEG poster are made by the platform's job when the demo is loaded
# (courses/renditions.py), as for any upload. Slides are drawn with ffmpeg's drawtext in
# the Droid Sans Fallback font; the Mandarin narration is spoken by espeak-ng when it is installed
# (apt-get install espeak-ng), otherwise the video is silent. The platform uses the files it made, which are
# committed.
#
# Slide file format: "# colour: 0xRRGGBB" sets the accent colour, the first "# " line is the footer; every
# "== heading" starts a slide (the first is the title slide), "- text" is a bullet point (plain lines on
# the title slide are its subtitle), "> text" is the narration, also used as the slide's caption. The font
# has no Latin letters or digits: write drawn text in Chinese, with full-width punctuation.
#
# Usage: site/demo/content/make_videos.sh [slides/NAME.txt ...]   (no arguments: everything)
set -euo pipefail
cd "$(dirname "$0")"

FONT=${FONT:-/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf}
FPS=25
BACKGROUND=0xF7F5F0
TEXT_COLOUR=0x22262B
SITE_NAME="儿童福利人才培训认证平台"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# drawtext reads its text from a file: no escaping of Chinese punctuation, colons or quotes in filters.
text_file() {
    local path
    path=$(mktemp "$work/text.XXXXXX")
    printf '%s' "$1" > "$path"
    printf '%s' "$path"
}

draw_text() {  # draw_text TEXT SIZE COLOUR X Y
    printf 'drawtext=fontfile=%s:textfile=%s:expansion=none:fontsize=%s:fontcolor=%s:x=%s:y=%s' \
        "$FONT" "$(text_file "$1")" "$2" "$3" "$4" "$5"
}

vtt_time() {
    awk -v t="$1" 'BEGIN { printf "%02d:%02d:%06.3f", int(t / 3600), int(t % 3600 / 60), t - int(t / 60) * 60 }'
}

# narration_audio INDEX TEXT: writes $work/speech$INDEX.wav and prints its length in seconds.
narration_audio() {
    local wav="$work/speech$1.wav"
    if command -v espeak-ng > /dev/null; then
        espeak-ng -v cmn -s 210 -w "$wav" "$2"
    else  # silence about as long as the narration would take to read
        local seconds
        seconds=$(awk -v n="${#2}" 'BEGIN { printf "%.2f", n / 3.5 }')
        ffmpeg -v error -y -f lavfi -i anullsrc=r=22050:cl=mono -t "$seconds" "$wav"
    fi
    ffprobe -v error -show_entries format=duration -of csv=p=0 "$wav"
}

make_video() {
    local spec=$1 name footer="" colour=0x1d6b52 line count=-1
    name=$(basename "$spec" .txt)
    local -a headings=() bullets=() narrations=()
    while IFS= read -r line || [[ -n $line ]]; do
        case $line in
            "# colour: "*) colour=${line#\# colour: } ;;
            "# "*) [[ -z $footer ]] && footer=${line#\# } ;;
            "" | "#"*) ;;
            "== "*) count=$((count + 1)); headings[count]=${line#== }; bullets[count]=""; narrations[count]="" ;;
            "> "*) narrations[count]+=${line#> } ;;
            "- "*) bullets[count]+=${line#- }$'\n' ;;
            *) bullets[count]+=$line$'\n' ;;
        esac
    done < "$spec"
    local slides=$((count + 1)) start=0 index
    : > "$work/videos.txt"
    : > "$work/sounds.txt"
    printf 'WEBVTT\n\n' > "$work/$name.vtt"

    for ((index = 0; index < slides; index++)); do
        local speech frames seconds filters
        speech=$(narration_audio "$index" "${narrations[index]}")
        # The narration starts 0.4 s into the slide, which stays up 1 s after it ends; whole frames.
        frames=$(awk -v s="$speech" -v fps=$FPS 'BEGIN { f = int((s + 1.4) * fps + 0.999); print (f < 4 * fps ? 4 * fps : f) }')
        seconds=$(awk -v f="$frames" -v fps=$FPS 'BEGIN { printf "%.2f", f / fps }')

        if ((index == 0)); then
            filters="drawbox=x=0:y=0:w=iw:h=ih:color=$colour@1:t=fill"
            filters+=",$(draw_text "${headings[index]}" 40 white '(w-tw)/2' 120)"
            local row=0 subtitle
            while IFS= read -r subtitle; do
                [[ -z $subtitle ]] && continue
                filters+=",$(draw_text "$subtitle" 24 'white@0.85' '(w-tw)/2' $((190 + row * 40)))"
                row=$((row + 1))
            done <<< "${bullets[index]}"
            filters+=",$(draw_text "$SITE_NAME" 16 'white@0.7' '(w-tw)/2' 318)"
        else
            filters="drawbox=x=0:y=0:w=iw:h=72:color=$colour@1:t=fill"
            filters+=",$(draw_text "${headings[index]}" 30 white 32 20)"
            local row=0 bullet y
            while IFS= read -r bullet; do
                [[ -z $bullet ]] && continue
                y=$((112 + row * 52))
                filters+=",drawbox=x=34:y=$((y + 8)):w=10:h=10:color=$colour@1:t=fill"
                filters+=",$(draw_text "$bullet" 24 "$TEXT_COLOUR" 56 "$y")"
                row=$((row + 1))
            done <<< "${bullets[index]}"
            filters+=",drawbox=x=32:y=316:w=576:h=1:color=0xC8C4BC@1:t=fill"
            filters+=",$(draw_text "$footer" 16 0x6B6F75 32 328)"
            # Where the slide stands, as dots: the font has no Latin digits.
            local dot dot_colour
            for ((dot = 1; dot < slides; dot++)); do
                dot_colour=0xC8C4BC
                ((dot == index)) && dot_colour=$colour
                filters+=",drawbox=x=$((600 - (slides - 1 - dot) * 16)):y=333:w=8:h=8:color=$dot_colour@1:t=fill"
            done
        fi

        ffmpeg -v error -y -f lavfi -i "color=c=$BACKGROUND:s=640x360:r=$FPS" -frames:v "$frames" -vf "$filters" \
            -c:v libx264 -profile:v main -preset slow -tune stillimage -crf 26 -g $((FPS * 3)) -pix_fmt yuv420p \
            -an "$work/slide$index.mp4"
        ffmpeg -v error -y -i "$work/speech$index.wav" -af "adelay=400:all=1,apad" -t "$seconds" -ar 22050 -ac 1 \
            "$work/sound$index.wav"
        printf "file '%s'\n" "$work/slide$index.mp4" >> "$work/videos.txt"
        printf "file '%s'\n" "$work/sound$index.wav" >> "$work/sounds.txt"

        local cue_start cue_end
        cue_start=$(awk -v s="$start" 'BEGIN { print s + 0.4 }')
        cue_end=$(awk -v s="$start" -v d="$seconds" 'BEGIN { print s + d - 0.2 }')
        # At the very bottom: the slide's text is above, only its footer is covered.
        printf '%s --> %s line:100%%,end\n%s\n\n' "$(vtt_time "$cue_start")" "$(vtt_time "$cue_end")" "${narrations[index]}" \
            >> "$work/$name.vtt"
        start=$(awk -v s="$start" -v d="$seconds" 'BEGIN { print s + d }')
    done

    ffmpeg -v error -y -f concat -safe 0 -i "$work/videos.txt" -f concat -safe 0 -i "$work/sounds.txt" \
        -map 0:v -map 1:a -c:v copy -c:a aac -b:a 40k -movflags +faststart -map_metadata -1 \
        -metadata title="${headings[0]}" "media/$name.mp4"
    cp "$work/$name.vtt" "media/$name.vtt"
    printf '%s: %s s, %s bytes\n' "media/$name.mp4" "$start" "$(stat -c %s "media/$name.mp4")"
}

# make_cover NAME COLOUR TITLE AUDIENCE: a course's cover image, media/NAME.png.
make_cover() {
    local filters="drawbox=x=0:y=0:w=iw:h=ih:color=$2@1:t=fill"
    filters+=",drawbox=x=0:y=268:w=iw:h=92:color=black@0.18:t=fill"
    filters+=",drawbox=x=48:y=96:w=64:h=6:color=white@0.8:t=fill"
    filters+=",$(draw_text "$3" 36 white 48 124)"
    filters+=",$(draw_text "$4" 22 'white@0.85' 48 180)"
    filters+=",$(draw_text "$SITE_NAME｜在线课程" 18 'white@0.75' 48 302)"
    ffmpeg -v error -y -f lavfi -i "color=c=$2:s=640x360" -frames:v 1 -vf "$filters" "media/$1.png"
    printf '%s: %s bytes\n' "media/$1.png" "$(stat -c %s "media/$1.png")"
}

mkdir -p media
if (($# == 0)); then
    make_cover institution-head-cover 0x7a3b12 "机构负责人履职与机构安全管理" "儿童福利机构、未成年人救助保护机构负责人"
    make_cover child-supervisor-cover 0x1f4e79 "儿童督导员工作实务" "乡镇（街道）儿童督导员"
    make_cover child-director-cover 0x1d6b52 "儿童主任履职基础" "村（社区）儿童主任"
    make_cover carer-cover 0x6b2d5c "孤残儿童日常照料与康复支持" "孤残儿童护理员"
    set -- slides/*.txt
fi
for spec in "$@"; do
    make_video "$spec"
done
